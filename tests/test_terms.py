"""Top terms and nearest documents of text clusters (deepclust/explain/terms.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from sklearn.cluster import KMeans

from deepclust.data.text import clean_text
from deepclust.data.vectorizers import vectorize
from deepclust.errors import DatasetError
from deepclust.explain.terms import (
    align_documents,
    distinctive_terms,
    explain_text,
    snippet,
    term_counts,
)

FOOTBALL = ["goal", "striker", "referee", "penalty", "match", "league", "keeper", "stadium",
            "midfielder", "offside"]
COOKING = ["oven", "recipe", "flour", "butter", "simmer", "garlic", "onion", "sauce", "bake",
           "whisk"]


def two_topics(n=20, seed=0):
    """``n`` documents about football then ``n`` about cooking, each 12 words of its topic
    plus two shared filler words (``said``, ``today``) and stop words."""
    rng = np.random.default_rng(seed)
    docs = []
    for words in (FOOTBALL, COOKING):
        for _ in range(n):
            picked = rng.choice(words, size=12)
            docs.append("The " + " and ".join(picked) + ", he said today. <br />It was")
    return docs


@pytest.fixture(scope="module")
def corpus():
    originals = two_topics()
    cleaned = clean_text(originals)
    vectorizer, features = vectorize(cleaned, "text", {"text": {"vectorizer": "tfidf",
                                                                "sublinear_tf": True}})
    clusters = KMeans(2, n_init=5, random_state=0).fit_predict(features)
    return originals, cleaned, vectorizer, features, clusters


def test_clusters_are_the_topics(corpus):
    *_, clusters = corpus
    assert len(set(clusters[:20])) == 1 and len(set(clusters[20:])) == 1
    assert clusters[0] != clusters[20]


@pytest.mark.parametrize("method", ["chi2", "ctfidf"])
def test_each_clusters_top_terms_are_its_topics_words(corpus, method):
    _, cleaned, vectorizer, _, clusters = corpus
    counts = term_counts(vectorizer, cleaned)
    terms = distinctive_terms(counts, clusters, vectorizer.get_feature_names_out(), n=10,
                              method=method)
    football, cooking = clusters[0], clusters[20]
    assert set(terms.loc[terms.cluster == football, "term"]) == set(FOOTBALL)
    assert set(terms.loc[terms.cluster == cooking, "term"]) == set(COOKING)
    # ranks 1..10 per cluster, scores decreasing, shared filler words never distinctive
    for _, group in terms.groupby("cluster"):
        assert group["rank"].tolist() == list(range(1, 11))
        assert np.all(np.diff(group["score"]) <= 0)
    assert not {"said", "today"} & set(terms["term"])


@pytest.mark.parametrize("method", ["chi2", "ctfidf"])
def test_shared_words_rank_below_cluster_words(method):
    """Distinctive, not frequent: a word in every document of both clusters, twice as frequent
    in each cluster as any topic word, ranks below the topic words (chi2: not listed)."""
    docs = [f"common {w}" for w in ["alpha", "beta"] * 10] \
        + [f"common {w}" for w in ["gamma", "delta"] * 10]
    clusters = np.repeat([0, 1], 20)
    vectorizer, _ = vectorize(docs, "text", {"text": {"vectorizer": "count"}})
    terms = distinctive_terms(term_counts(vectorizer, docs), clusters,
                              vectorizer.get_feature_names_out(), n=3, method=method)
    listed = terms.loc[terms.cluster == 0, "term"].tolist()
    assert sorted(listed[:2]) == ["alpha", "beta"]
    assert listed[2:] == (["common"] if method == "ctfidf" else [])


def test_outputs_nearest_documents_and_markdown(corpus, tmp_path):
    originals, cleaned, vectorizer, features, clusters = corpus
    clusters = clusters.copy()
    clusters[5] = -1  # one noise point gets its own section
    ids = [f"doc{i}" for i in range(len(originals))]
    labels = np.repeat([0, 1], 20)
    out = {k: tmp_path / f"terms.{k}" for k in ("csv", "md", "png")}
    explain_text(term_counts(vectorizer, cleaned), vectorizer.get_feature_names_out(),
                 features, clusters, originals, ids, out["csv"], out["md"], out["png"],
                 "toy: pipeline 'kmeans', seed 0", labels=labels,
                 class_names=["football", "cooking"])
    table = pd.read_csv(out["csv"])
    assert list(table.columns) == ["cluster", "rank", "term", "score"]
    assert set(table["cluster"]) == {0, 1, -1}
    md = out["md"].read_text()
    football = clusters[0]
    assert f"## cluster {football}: 19 documents (48%), mostly football (100%)" in md
    assert f"## cluster {clusters[20]}: 20 documents (50%), mostly cooking (100%)" in md
    assert "## noise: 1 documents" in md
    # the nearest documents of each cluster are its members, shown as in the source
    for c in (football, clusters[20]):
        section = md.split(f"## cluster {c}:")[1].split("##")[0]
        shown = [line.split("`")[1] for line in section.splitlines() if line.startswith("- `")]
        assert len(shown) == 3
        assert all(clusters[int(i[3:])] == c for i in shown)
        assert "The " in section and "<br />" not in section  # original case, tags dropped
    image = np.asarray(Image.open(out["png"]).convert("L"), dtype=float)
    assert image.std() > 20


def test_terms_without_labels(corpus, tmp_path):
    originals, cleaned, vectorizer, features, clusters = corpus
    explain_text(term_counts(vectorizer, cleaned), vectorizer.get_feature_names_out(),
                 features, clusters, originals, [str(i) for i in range(40)],
                 tmp_path / "t.csv", tmp_path / "t.md", tmp_path / "t.png", "toy")
    md = (tmp_path / "t.md").read_text()
    assert "mostly" not in md and md.count("## cluster") == 2


def test_bad_input_is_named(corpus):
    _, cleaned, vectorizer, _, clusters = corpus
    with pytest.raises(DatasetError, match="40 documents for 39 cluster assignments"):
        distinctive_terms(term_counts(vectorizer, cleaned), clusters[:39],
                          vectorizer.get_feature_names_out())
    with pytest.raises(DatasetError, match="not a text vectorizer"):
        term_counts(object(), cleaned)
    with pytest.raises(DatasetError, match="unknown term ranking 'tf'"):
        distinctive_terms(term_counts(vectorizer, cleaned), clusters,
                          vectorizer.get_feature_names_out(), method="tf")
    with pytest.raises(DatasetError, match="rows.csv is out of date"):
        align_documents(["a", "b"], ["x", "y"], ["x", "z"])


def test_snippet_and_alignment():
    assert snippet("a  <br />b\n c") == "a b c"
    assert snippet("word " * 100, 20) == "word word word word…"
    assert align_documents(["first", "second", "third"], [3, 1, 2], ["1", "2"]) == \
        ["second", "third"]


@pytest.mark.workflow
def test_terms_through_the_workflow_unlabelled(tmp_path):
    """cluster_terms on a two-topic CSV (modality text, labels: none, KMeans K=2): each
    cluster's terms are its topic's words; terms.md shows the original documents."""
    from conftest import run_workflow

    rng = np.random.default_rng(1)
    rows = [{"id": f"{topic[0][:4]}{i}",
             "text": f"Today's NEWS <b>{i}</b>: " + " ".join(rng.choice(topic, size=10))}
            for topic in (FOOTBALL, COOKING) for i in range(20)]
    data = tmp_path / "data"
    data.mkdir()
    pd.DataFrame(rows).sample(frac=1, random_state=0).to_csv(data / "two.csv", index=False)
    run = "results/two/pipelines/kmeans/seed0"
    run_workflow(tmp_path / "run", {
        "run": {"datasets": ["two"], "pipelines": ["kmeans"], "seeds": [0]},
        "datasets": {"two": {"modality": "text", "labels": "none", "k": 2,
                             "text": {"vectorizer": "tfidf", "sublinear_tf": True},
                             "source": {"kind": "table",
                                        "files": {"table": {"url": str(data / "two.csv")}},
                                        "columns": {"id": "id", "text": "text"}}}},
    }, f"{run}/terms.csv", f"{run}/terms.md", f"{run}/terms.png")
    out = tmp_path / "run" / run
    clusters = pd.read_csv(out / "clusters.csv")
    terms = pd.read_csv(out / "terms.csv")
    topic_of = {c: set(group["term"]) for c, group in terms.groupby("cluster")}
    assert sorted(map(sorted, topic_of.values())) == sorted([sorted(FOOTBALL), sorted(COOKING)])
    md = (out / "terms.md").read_text()
    assert md.count("## cluster ") == 2 and "mostly" not in md
    for c in topic_of:
        section = md.split(f"## cluster {c}:")[1].split("## ")[0]
        shown = [line.split("`")[1] for line in section.splitlines() if line.startswith("- `")]
        members = set(clusters.loc[clusters["cluster"] == c, "id"].astype(str))
        assert len(shown) == 3 and set(shown) <= members
        assert "Today's NEWS" in section  # the original text, not the cleaned one
    grey = np.asarray(Image.open(out / "terms.png").convert("L"), dtype=float)
    assert grey.std() > 20
