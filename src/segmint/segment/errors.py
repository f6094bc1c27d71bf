"""The one exception the segmentation layer raises for bad input."""


class SegmentationError(ValueError):
    """Bad input to the segmentation layer.

    The message is one line that names the problem and says what to do, so a
    command-line front end can print it as is and exit with status 2. It
    subclasses :class:`ValueError`, so code that already catches
    ``ValueError`` keeps working.

    Examples
    --------
    >>> from segmint.segment import SegmentationError
    >>> issubclass(SegmentationError, ValueError)
    True
    """
