"""Constants of the offline grader's per-point matcher (:mod:`agent.grading.features`): the e5 ranges and signal
weights were fitted on the Mohler development split by an earlier ``evals/fit_offline.py``; ``dense_cross`` and
``zh_thresholds`` are hand-set on the Chinese ladder; ``use_range`` (USE cosine 0.3 → 0, 0.7 → 1) was chosen on
the ladder and concise sets from (0.2, 0.6), (0.25, 0.65), (0.3, 0.7) as the one with the fewest off-topic /
padded answers above their band. The score itself comes from :mod:`agent.grading.scorer_params`."""

PARAMS = {
    "dense_same": [
        -0.01,
        0.12
    ],
    "dense_cross": [
        0.02,
        0.08
    ],
    "weights": [
        0.5,
        0.3,
        0.2
    ],
    "partial": 0.4,
    "covered": 0.65,
    "use_range": [
        0.3,
        0.7
    ],
    "zh_thresholds": [
        0.5,
        0.7
    ]
}
