"""The HTML report: self-contained, well-formed, escaped, written atomically."""

import os
import re

import numpy as np
import pandas as pd
import pytest
from tests.htmlcheck import assert_self_contained_report, parse_report

from segmint.datasets import load_wholesale, make_customers
from segmint.segment import SegmentationError, segment
from segmint.segment import report as report_module
from segmint.segment.report import render_report, write_report


@pytest.fixture(scope="module")
def wholesale_result():
    return segment(load_wholesale(decode=True), k=3, n_init=2)


@pytest.fixture(scope="module")
def wholesale_page(wholesale_result):
    return render_report(wholesale_result)


def test_report_is_self_contained_and_names_every_segment(
    wholesale_result, wholesale_page
):
    names = wholesale_result.profiles["segment_name"].tolist()
    parser = assert_self_contained_report(wholesale_page, names)
    # one section per part of the analysis, one card per segment
    for heading in [
        "Segments at a glance",
        "The data",
        "Preprocessing applied",
        "How many segments?",
        "Where the segments lie",
        "What sets the segments apart",
        "Segment sizes",
        "Segment profiles",
    ]:
        assert heading in parser.headings
    assert {f"segment-{s}" for s in range(3)} <= parser.ids
    # silhouette, 2-D, 3-D, heatmap, sizes (k was given: no elbow/criteria)
    assert len(parser.images) == 5
    assert "The number of segments was given: 3" in " ".join(parser.text)


def test_report_numbers_match_the_result(wholesale_result, wholesale_page):
    text = " ".join(parse_report(wholesale_page).text)
    for _, p in wholesale_result.profiles.iterrows():
        assert f"{int(p['size']):,} rows, {p['share']:.1%} of all" in text
    assert "440 rows and 8 columns" in text
    # Fresh's overall mean as pandas computes it
    fresh = wholesale_result.data["Fresh"]
    assert f"mean {fresh.mean():,.0f}, median {fresh.median():,.0f}" in text
    # every log1p column is reported with its skewness
    for col in wholesale_result.preparation.summary["log1p"]:
        assert f"{col} (skewness" in text


def test_text_from_data_is_escaped():
    rng = np.random.default_rng(0)
    evil_col = "<script>alert('x')</script>"
    evil_cat = 'A&B "quoted" <b>'
    df = pd.DataFrame(
        {
            evil_col: np.r_[rng.normal(0, 1, 30), rng.normal(8, 1, 30)],
            "spend & <more>": np.r_[rng.normal(5, 1, 30), rng.normal(0, 1, 30)],
            "kind": [evil_cat] * 30 + ["plain"] * 30,
        }
    )
    result = segment(df, k=2, n_init=2)
    page = render_report(result, title="Report <for> Q&A")
    assert "<script>" not in page
    assert evil_cat not in page
    assert "A&amp;B &quot;quoted&quot; &lt;b&gt;" in page
    parser = assert_self_contained_report(
        page, result.profiles["segment_name"].tolist()
    )
    text = " ".join(parser.text)
    # the parser unescapes: the original strings come back as text
    assert evil_col in text
    assert evil_cat in text
    assert "Report <for> Q&A" in parser.headings


def test_dbscan_report_has_noise_card():
    rng = np.random.default_rng(1)
    X = np.r_[
        rng.normal(0, 0.3, (40, 2)),
        rng.normal(6, 0.3, (40, 2)),
        [[20.0, -20.0], [-20.0, 20.0], [30.0, 30.0]],
    ]
    df = pd.DataFrame(X, columns=["a", "b"])
    result = segment(df, algorithm="dbscan", log_transform=False)
    assert (result.labels == -1).any()
    page = render_report(result)
    parser = assert_self_contained_report(
        page, result.profiles["segment_name"].tolist()
    )
    assert "segment--1" in parser.ids
    assert "Noise: rows in no dense region" in parser.headings
    assert re.search(r"[\d,]+ rows left as noise", " ".join(parser.text))


def test_k_evidence_and_dendrogram():
    # one agglomerative run with k="auto" covers both optional sections
    df = make_customers(150, n_segments=3, random_state=0)
    result = segment(
        df, k="auto", k_values=[2, 3, 4], n_init=2, algorithm="agglomerative"
    )
    sel = result.k_selection
    page = render_report(result)
    parser = assert_self_contained_report(
        page, result.profiles["segment_name"].tolist()
    )
    text = " ".join(parser.text)
    assert f"{sel.k} segments were chosen automatically" in text
    # the candidate table, the chosen row marked
    chosen = re.findall(r"<tr class=chosen><td class=num>(\d+)</td>", page)
    assert chosen == [str(sel.k)]
    assert "Ward merges, bottom to top" in text
    # elbow, criteria, silhouette, dendrogram, 2-D, 3-D, heatmap, sizes
    assert len(parser.images) == 8


def test_write_report_is_atomic(tmp_path, monkeypatch, wholesale_result):
    monkeypatch.setattr(report_module, "render_report", lambda r, title=None: "new")
    target = tmp_path / "sub" / "report.html"
    assert write_report(wholesale_result, target) == target
    assert target.read_text(encoding="utf-8") == "new"

    class Unwritable(str):
        def encode(self, *args, **kwargs):
            raise OSError(28, "No space left on device")

    # a failure half-way through writing leaves the old page, no temp file
    monkeypatch.setattr(
        report_module, "render_report", lambda r, title=None: Unwritable("x")
    )
    with pytest.raises(OSError, match="No space left"):
        write_report(wholesale_result, target)
    assert target.read_text(encoding="utf-8") == "new"
    assert os.listdir(target.parent) == ["report.html"]


def test_write_report_unwritable_folder(tmp_path, monkeypatch, wholesale_result):
    monkeypatch.setattr(report_module, "render_report", lambda r, title=None: "x")
    blocker = tmp_path / "file.txt"
    blocker.write_text("not a folder")
    with pytest.raises(SegmentationError, match="cannot create output folder"):
        write_report(wholesale_result, blocker / "report.html")
