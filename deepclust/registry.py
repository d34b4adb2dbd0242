"""Config entries to estimators: each stage keeps a registry, a dict from ``kind`` to a
scikit-learn style class, and an entry becomes ``REGISTRY[kind](**params)``.

A new kind is one class (its ``__init__`` parameters are the entry's keys) added to its
stage's registry, plus the keys' entry in the config schema.
"""

from __future__ import annotations


def build(registry: dict, stage: str, entry: dict, **run):
    """``registry[entry["kind"]]`` made from the entry's keys that are the class's parameters
    and from ``run``, the values a run supplies (K, the seed, threads) for those the class
    takes. Keys the class does not take are the workflow's own (e.g. an encoder's ``gpu``),
    already checked against the schema."""
    kind = entry["kind"]
    if kind not in registry:
        raise ValueError(f"unknown {stage} kind {kind!r}: use one of {sorted(registry)}")
    cls = registry[kind]
    names = set(cls._get_param_names())
    params = {key: value for key, value in entry.items() if key in names}
    params.update({key: value for key, value in run.items() if key in names})
    return cls(**params)
