"""Segment profiles, traits and names."""

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from segmint.segment.profile import (
    NOISE_NAME,
    TYPICAL_NAME,
    compute_traits,
    name_segments,
    profile_segments,
)


def test_category_traits_hand_computed():
    data = pd.DataFrame(
        {"spend": [1.0, 1.0, 1.0, 9.0], "channel": ["web", "web", "shop", "shop"]}
    )
    traits = compute_traits(data, [0, 0, 0, 1], ["spend"], ["channel"])
    row = traits[(traits["segment"] == 1) & (traits["feature"] == "channel=shop")].iloc[
        0
    ]
    # p_segment = 1, p_population = 0.5: z = 0.5 / sqrt(0.25) = 1
    assert row["kind"] == "category" and row["z"] == 1.0
    spend = traits[(traits["segment"] == 1) & (traits["feature"] == "spend")].iloc[0]
    # (9 - 3) / std([1, 1, 1, 9], ddof=1) = 6 / 4 = 1.5
    assert spend["z"] == 1.5 and spend["population_value"] == 3.0
    names = name_segments(traits, [0, 0, 0, 1])
    assert names[1] == "Very high spend, mostly channel=shop"
    # segment 0: spend z = -0.5, channel=web share 2/3 vs 1/2 (z = 1/3)
    assert names[0] == "Low spend"


def test_two_category_mirror_said_once():
    data = pd.DataFrame(
        {
            "spend": [1.0, 1.0, 1.0, 9.0, 9.0, 9.0],
            "channel": ["web", "web", "web", "shop", "shop", "shop"],
            "region": ["N", "S", "E", "N", "N", "N"],
        }
    )
    profiles, traits, _ = profile_segments(
        data, [0, 0, 0, 1, 1, 1], ["spend"], ["channel", "region"]
    )
    assert traits.loc[traits["feature"] == "region=N", "column"].iloc[0] == "region"
    # channel has two values: "channel=web -1.0 sd" is the twin of
    # "channel=shop +1.0 sd"; region has three, so its negative trait stays
    assert profiles["traits"].tolist() == [
        "channel=web +1.0 sd; spend -0.9 sd; region=N -0.7 sd",
        "channel=shop +1.0 sd; spend +0.9 sd; region=N +0.7 sd",
    ]
    # the traits table itself keeps both twins
    twin = traits[(traits["segment"] == 1) & (traits["feature"] == "channel=web")]
    assert twin["z"].item() == -1.0 and twin["distinguishing"].item()


def test_noise_and_missing_values():
    data = pd.DataFrame({"x": [1.0, np.nan, 3.0, 10.0, 12.0, 50.0]})
    profiles, _, names = profile_segments(data, [0, 0, 0, 1, 1, -1], ["x"])
    assert names[-1] == NOISE_NAME
    assert profiles.loc[0, "mean_x"] == 2.0  # missing value skipped, as pandas
    assert profiles.loc[-1, "size"] == 1
    assert profiles["size"].sum() == 6


def test_constant_column_has_no_trait():
    data = pd.DataFrame({"x": [5.0] * 6})
    _, traits, names = profile_segments(data, [0, 0, 0, 1, 1, 1], ["x"])
    assert (traits["z"] == 0).all()
    assert names == {0: f"{TYPICAL_NAME} (segment 0)", 1: f"{TYPICAL_NAME} (segment 1)"}


@settings(max_examples=25, deadline=None)
@given(
    st.integers(min_value=0, max_value=10_000),
    st.integers(min_value=2, max_value=5),
    st.floats(min_value=0.1, max_value=2.0),
)
def test_names_follow_the_numbers(seed, k, threshold):
    rng = np.random.default_rng(seed)
    n = 60
    data = pd.DataFrame(
        {
            "a": rng.lognormal(0, 1, n),
            "b": rng.normal(0, 1, n),
            "c": rng.choice(["x", "y"], n),
        }
    )
    labels = rng.integers(0, k, n)
    profiles, traits, names = profile_segments(
        data, labels, ["a", "b"], ["c"], threshold=threshold
    )
    assert profiles["size"].sum() == n
    assert np.isclose(profiles["share"].sum(), 1.0)
    for label, name in names.items():
        mine = traits[traits["segment"] == label].set_index("feature")
        base = name.split(" (segment")[0]
        if base == TYPICAL_NAME:
            assert not (mine["distinguishing"] & (mine["kind"] == "numeric")).any()
            continue
        for phrase in base.split(", "):
            words = phrase.lower().split()
            feature = words[-1]
            z = mine.loc[feature, "z"]
            assert abs(z) >= threshold
            if words[0] == "mostly":
                assert mine.loc[feature, "segment_value"] >= 0.5 and z > 0
            else:
                assert ("high" in words) == (z > 0)
                assert ("very" in words) == (abs(z) >= 1.5)
