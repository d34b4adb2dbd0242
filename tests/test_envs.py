"""Every rule has a pinned conda env whose versions equal requirements.txt's."""

import re

import yaml

from conftest import ROOT


def _pins(lines):
    pins = {}
    for line in lines:
        match = re.fullmatch(r"\s*([A-Za-z0-9_.\-]+)==([^\s;]+)\s*", line)
        if match:
            pins[match.group(1).lower().replace("_", "-")] = match.group(2)
    return pins


def test_env_versions_match_requirements():
    required = _pins((ROOT / "requirements.txt").read_text().splitlines())
    envs = sorted((ROOT / "envs").glob("*.yaml"))
    assert envs
    for env in envs:
        spec = yaml.safe_load(env.read_text())
        pip = next(d["pip"] for d in spec["dependencies"] if isinstance(d, dict))
        pins = _pins(pip)
        assert pins and len(pins) == len(pip), f"{env.name}: every pip entry must be pinned (==)"
        for name, version in pins.items():
            assert required.get(name) == version, (
                f"{env.name}: {name}=={version} but requirements.txt has {required.get(name)}")


def test_every_rule_has_a_conda_env_log_and_benchmark():
    text = "\n".join(p.read_text() for p in (ROOT / "rules").glob("*.smk"))
    rules = re.split(r"\nrule ", text)[1:]
    assert len(rules) >= 10
    for rule in rules:
        name = rule.split(":", 1)[0]
        for directive in ("conda:", "log:", "benchmark:", "script:"):
            assert directive in rule, f"rule {name} has no {directive}"
        env = re.search(r'conda:\s*"\.\./(envs/[^"]+)"', rule).group(1)
        assert (ROOT / env).exists(), f"rule {name}: {env} does not exist"
