"""What is in each cluster of documents: its most distinctive terms and nearest documents.

Distinctive terms are ranked (``method``) either by the chi-squared statistic of a term's
presence in the cluster's documents against the rest (``chi2``, the default; only terms more
frequent inside the cluster than outside), or by class-based TF-IDF (``ctfidf``, as in
BERTopic): the documents of a cluster joined into one, its term frequencies normalised by its
number of words, times ``log(1 + A / f_t)`` where ``A`` is the mean number of words per cluster
and ``f_t`` the frequency of term ``t`` over all clusters. Both rank a word frequent everywhere
low; on BBC News c-TF-IDF still lists ``said`` in every cluster, chi-squared does not.
Term counts come from the dataset's own fitted vectorizer (same tokenizer, vocabulary and
cleaned documents as the clustering). The nearest documents are those nearest the cluster
centre in the representation the clusterer saw
(:func:`deepclust.figures.examples.nearest_to_centre`).
"""

from __future__ import annotations

import logging
import re

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import scipy.sparse as sp  # noqa: E402
from sklearn.feature_extraction.text import CountVectorizer  # noqa: E402
from sklearn.feature_selection import chi2  # noqa: E402

from deepclust.atomic import atomic_path  # noqa: E402
from deepclust.errors import DatasetError  # noqa: E402
from deepclust.evaluate.matching import cluster_order, majority_class  # noqa: E402
from deepclust.figures.examples import (
    cluster_name,  # noqa: E402
    nearest_to_centre,  # noqa: E402
)
from deepclust.figures.plots import save_figure  # noqa: E402

log = logging.getLogger(__name__)

#: characters of a document shown in terms.md
SNIPPET_CHARS = 300


def term_counts(vectorizer, documents):
    """Raw term counts (CSR, documents x vocabulary) of ``documents`` with the fitted text
    vectorizer of the dataset (a ``CountVectorizer`` or ``TfidfVectorizer``: its tokenizer and
    vocabulary, without the TF-IDF weighting)."""

    if not isinstance(vectorizer, CountVectorizer):
        raise DatasetError(f"vectorizer.joblib holds a {type(vectorizer).__name__}, not a text "
                           "vectorizer: top terms are for text datasets (modality: text)")
    return sp.csr_matrix(CountVectorizer.transform(vectorizer, documents), dtype=np.float64)


def class_tfidf(counts, clusters) -> tuple[list[int], np.ndarray]:
    """c-TF-IDF of every cluster (rows, in :func:`cluster_order`) x term."""
    clusters = np.asarray(clusters)
    if counts.shape[0] != len(clusters):
        raise DatasetError(f"{counts.shape[0]} documents for {len(clusters)} cluster "
                           "assignments")
    order = cluster_order(clusters)
    members = sp.csr_matrix((np.ones(len(clusters)),
                             ([order.index(int(c)) for c in clusters], np.arange(len(clusters)))),
                            shape=(len(order), len(clusters)))
    tf = np.asarray((members @ sp.csr_matrix(counts)).todense(), dtype=np.float64)
    words = tf.sum(axis=1, keepdims=True)
    frequency = tf.sum(axis=0)
    mean_words = tf.sum() / len(order)
    idf = np.log1p(mean_words / np.maximum(frequency, 1e-12))
    return order, tf / np.maximum(words, 1e-12) * idf


def presence_chi2(counts, clusters) -> tuple[list[int], np.ndarray]:
    """Chi-squared of each term's presence in a cluster's documents against the other
    documents (``sklearn.feature_selection.chi2``), per cluster (rows, in
    :func:`cluster_order`) x term; 0 where the term is not more frequent inside than outside."""

    clusters = np.asarray(clusters)
    if counts.shape[0] != len(clusters):
        raise DatasetError(f"{counts.shape[0]} documents for {len(clusters)} cluster "
                           "assignments")
    presence = sp.csr_matrix(counts > 0, dtype=np.float64)
    order = cluster_order(clusters)
    scores = np.zeros((len(order), presence.shape[1]))
    for k, c in enumerate(order):
        inside = clusters == c
        if inside.all():  # a single cluster: nothing to contrast with
            scores[k] = np.asarray(presence.mean(axis=0)).ravel()
            continue
        statistic, _ = chi2(presence, inside)
        more = np.asarray(presence[inside].mean(axis=0)).ravel() > \
            np.asarray(presence[~inside].mean(axis=0)).ravel()
        scores[k] = np.where(more, np.nan_to_num(statistic), 0.0)
    return order, scores


#: how terms are ranked: name -> f(counts, clusters) -> (cluster order, scores)
METHODS = {"chi2": presence_chi2, "ctfidf": class_tfidf}
#: the x-axis label of terms.png per method
SCORE_NAMES = {"chi2": "chi-squared: presence in the cluster vs. the rest",
               "ctfidf": "c-TF-IDF score"}


#: how terms.md says the terms are ranked
RANKED_BY = {"chi2": "the chi-squared statistic of their presence in the cluster's documents "
                     "against the other documents (only terms more frequent in the cluster)",
             "ctfidf": "class-based TF-IDF (frequent in the cluster, rare in the others)"}


def distinctive_terms(counts, clusters, vocabulary, n: int = 10,
                      method: str = "chi2") -> pd.DataFrame:
    """The ``n`` most distinctive terms per cluster (:data:`METHODS`): columns cluster, rank
    (1 = most distinctive), term, score. Terms scoring 0 (absent from the cluster, or not
    more frequent in it than elsewhere) are never listed."""
    if method not in METHODS:
        raise DatasetError(f"unknown term ranking {method!r} (known: {', '.join(METHODS)})")
    vocabulary = np.asarray(vocabulary, dtype=object)
    if counts.shape[1] != len(vocabulary):
        raise DatasetError(f"{counts.shape[1]} term columns for a vocabulary of "
                           f"{len(vocabulary)} terms")
    order, scores = METHODS[method](counts, clusters)
    records = []
    for c, row in zip(order, scores):
        best = np.argsort(-row, kind="stable")[:n]
        best = best[row[best] > 0]
        records += [{"cluster": c, "rank": r + 1, "term": str(vocabulary[t]),
                     "score": float(row[t])} for r, t in enumerate(best)]
    return pd.DataFrame(records, columns=["cluster", "rank", "term", "score"])


def snippet(text: str, chars: int = SNIPPET_CHARS) -> str:
    """The first ``chars`` characters of a document on one line (HTML tags and runs of
    white space collapsed), with an ellipsis when cut."""
    flat = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", str(text))).strip()
    return flat if len(flat) <= chars else flat[:chars].rstrip() + "…"


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|")


def write_terms_markdown(path, terms: pd.DataFrame, clusters, nearest: dict, documents, ids,
                         title: str, labels=None, class_names=None,
                         text_note: str = "", method: str = "chi2") -> None:
    """``terms.md``: per cluster its size (and majority class), its top terms as a table and
    the documents nearest its centre (first :data:`SNIPPET_CHARS` characters)."""
    clusters = np.asarray(clusters)
    lines = [f"# Top terms: {title}", "",
             f"{len(clusters)} documents in {len([c for c in cluster_order(clusters) if c != -1])}"
             f" clusters{' and noise' if -1 in clusters else ''}. Terms are "
             f"ranked by {RANKED_BY[method]}. "
             f"{text_note}".rstrip(), ""]
    for c in cluster_order(clusters):
        rows = np.flatnonzero(clusters == c)
        head = f"## {cluster_name(c)}: {len(rows)} documents ({len(rows) / len(clusters):.0%})"
        majority = majority_class(labels, rows, class_names)
        if majority is not None:
            head += f", mostly {majority[0]} ({majority[1]:.0%})"
        lines += [head, "", "| rank | term | score |", "|---:|---|---:|"]
        for t in terms[terms["cluster"] == c].itertuples():
            lines.append(f"| {t.rank} | {_md_cell(t.term)} | {t.score:.4f} |")
        lines += ["", "Documents nearest the cluster centre:", ""]
        for i in nearest.get(c, []):
            lines.append(f"- `{ids[i]}`: {snippet(documents[i])}")
        lines.append("")
    with atomic_path(path) as tmp:
        tmp.write_text("\n".join(lines), encoding="utf-8")


def plot_terms(terms: pd.DataFrame, clusters, path, title: str, labels=None,
               class_names=None, columns: int = 3, method: str = "chi2") -> int:
    """Horizontal bars of each cluster's top terms (one panel per cluster, most distinctive
    at the top, score on x); returns the number of panels."""
    clusters = np.asarray(clusters)
    order = cluster_order(clusters)
    cols = min(columns, len(order))
    rows = -(-len(order) // cols)
    n_terms = max(1, int(terms.groupby("cluster").size().max()) if len(terms) else 1)
    fig, axes = plt.subplots(rows, cols, figsize=(4.4 * cols, 0.7 + 0.28 * n_terms * rows + 0.6 *
                                                  rows), squeeze=False)
    colours = plt.get_cmap("tab10" if len(order) <= 10 else "tab20")
    for k, c in enumerate(order):
        ax = axes.flat[k]
        top = terms[terms["cluster"] == c].sort_values("rank")
        y = np.arange(len(top))
        ax.barh(y, top["score"], color="#999999" if c == -1 else colours(k % colours.N))
        ax.set_yticks(y, top["term"], fontsize=9)
        ax.set_ylim(n_terms - 0.5, -0.5)  # rank 1 at the top, same bar height in every panel
        ax.set_xlabel(SCORE_NAMES[method], fontsize=8)
        size = int((clusters == c).sum())
        head = f"{cluster_name(c)} ({size} docs)"
        majority = majority_class(labels, np.flatnonzero(clusters == c), class_names)
        if majority is not None:
            head += f"\nmostly {majority[0]} ({majority[1]:.0%})"
        ax.set_title(head, fontsize=10)
        if top.empty:
            ax.text(0.5, 0.5, "no terms", transform=ax.transAxes, ha="center")
    for ax in axes.flat[len(order):]:
        ax.set_visible(False)
    fig.suptitle(title)
    fig.tight_layout()
    save_figure(fig, path)
    return len(order)


def explain_text(counts, vocabulary, features, clusters, documents, ids, out_csv, out_md,
                 out_png, title: str, labels=None, class_names=None, n_terms: int = 10,
                 n_documents: int = 3, text_note: str = "", method: str = "chi2") -> pd.DataFrame:
    """Top terms (``terms.csv``, ``terms.md``, ``terms.png``) of a text clustering."""
    clusters = np.asarray(clusters)
    if len(documents) != len(clusters):
        raise DatasetError(f"{len(documents)} documents for {len(clusters)} cluster "
                           "assignments")
    terms = distinctive_terms(counts, clusters, vocabulary, n_terms, method)
    with atomic_path(out_csv) as tmp:
        terms.to_csv(tmp, index=False)
    nearest = nearest_to_centre(features, clusters, n_documents)
    write_terms_markdown(out_md, terms, clusters, nearest, documents, ids, title, labels,
                         class_names, text_note, method)
    plot_terms(terms, clusters, out_png, title, labels, class_names, method=method)
    for c in cluster_order(clusters):
        log.info("%s (%d documents): %s", cluster_name(c), int((clusters == c).sum()),
                 ", ".join(terms.loc[terms["cluster"] == c, "term"]))
    return terms


def align_documents(texts, source_ids, ids, chars: int = 4 * SNIPPET_CHARS) -> list[str]:
    """The original texts (first ``chars`` characters) of the prepared rows ``ids``, looked up
    by id among ``source_ids`` (the loader's ids: preparation may drop rows, never reorders)."""
    position = {str(i): k for k, i in enumerate(source_ids)}
    missing = [i for i in ids if str(i) not in position]
    if missing:
        raise DatasetError(f"{len(missing)} prepared row ids (e.g. {missing[0]!r}) are not in "
                           "the dataset's source: prepared/rows.csv is out of date; rerun "
                           "prepare_dataset")
    return [str(texts[position[str(i)]])[:chars] for i in ids]
