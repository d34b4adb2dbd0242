"""Figure titles stay inside their figure: long lines are broken at spaces, never inside a
name (dataset and encoder names have hyphens and underscores)."""

from PIL import Image

from deepclust.figures.plots import plot_loss_curve, wrapped


def test_long_title_lines_break_at_spaces_and_keep_names_whole():
    title = "Encoder 'ae_long' (dense_autoencoder, mixed_bfloat16)\non mnist-test, seed 4"
    assert wrapped(title) == title  # both lines fit: kept as they are
    long = "Encoder 'my_customer_segments_v2' (dense_autoencoder, mixed_bfloat16) on shop-2026"
    lines = wrapped(long).split("\n")
    assert len(lines) == 2 and all(len(line) <= 56 for line in lines)
    assert " ".join(lines) == long
    name = "x" * 70
    assert wrapped(f"{name} y") == f"{name}\ny"  # a name longer than a line is not split


def test_loss_figure_with_a_two_line_title_is_written(tmp_path):
    path = tmp_path / "loss.png"
    plot_loss_curve({"loss": [0.3, 0.2, 0.1], "val_loss": [0.35, 0.25, 0.2]}, path,
                    "Encoder 'ae_long' (dense_autoencoder, mixed_bfloat16)\n"
                    "on mnist-test, seed 4")
    with Image.open(path) as image:
        assert image.size[0] > 300 and image.size[1] > 200
