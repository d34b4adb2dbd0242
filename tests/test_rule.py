import logging
from types import SimpleNamespace

import pytest

from deepclust.rule import logged


class _Named(list):
    def items(self):
        return [("dataset", "digits")]


def _job(tmp_path):
    return SimpleNamespace(log=[str(tmp_path / "job.log")], rule="cluster",
                           wildcards=_Named(), input=["in.npy"], output=["out.csv"])


def test_logged_records_the_job_and_what_it_printed(tmp_path):
    job = _job(tmp_path)
    with logged(job):
        print("hello from the script")
        logging.getLogger("x").info("progress 50%%")
    text = (tmp_path / "job.log").read_text()
    for expected in ("wildcards: {'dataset': 'digits'}", "input: ['in.npy']",
                     "output: ['out.csv']", "hello from the script", "progress 50%", "done in"):
        assert expected in text


def test_logged_records_and_reraises_errors(tmp_path):
    job = _job(tmp_path)
    with pytest.raises(ValueError, match="bad K"):
        with logged(job):
            raise ValueError("bad K")
    text = (tmp_path / "job.log").read_text()
    assert "job failed after" in text and "ValueError: bad K" in text
