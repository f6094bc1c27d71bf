"""``python -m segmint``: the same as the ``segmint`` command."""

from segmint.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
