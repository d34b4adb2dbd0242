"""DEC's progress figure: a run that changed no label at all still reads right."""

from deepclust.figures import plots


def _figure(history, monkeypatch, tmp_path):
    drawn = {}
    monkeypatch.setattr(plots, "_save", lambda fig, path: drawn.setdefault("fig", fig))
    plots.plot_dec_progress(history, tmp_path / "dec_progress.png", "DEC on tickets", tol=0.001)
    return drawn["fig"]


def test_no_label_change_is_named_in_the_legend_and_iterations_are_whole(monkeypatch, tmp_path):
    history = [{"iteration": 0, "loss": None, "label_change": 0.02},
               {"iteration": 30, "loss": 0.08, "label_change": 0.0}]
    fig = _figure(history, monkeypatch, tmp_path)
    changes = fig.axes[1]
    legend = [t.get_text() for t in changes.get_legend().get_texts()]
    assert legend == ["labels changed (none: drawn at 1e-05)", "tol = 0.001"]
    for ax in fig.axes:
        assert all(tick == int(tick) for tick in ax.get_xticks())  # no 29.5 iterations


def test_a_changing_run_has_the_plain_legend(monkeypatch, tmp_path):
    history = [{"iteration": i * 140, "loss": 0.3 / (i + 1) if i else None,
                "label_change": 0.05 / (i + 1), "acc": 0.9, "nmi": 0.8} for i in range(4)]
    fig = _figure(history, monkeypatch, tmp_path)
    assert len(fig.axes) == 3  # labels known: the quality panel too
    assert fig.axes[1].get_legend().get_texts()[0].get_text() == "labels changed"
