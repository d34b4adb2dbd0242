"""The HTML report of the tests' tiny run, opened in headless Chromium: the first page leads to the
leaderboard table, which renders with every pipeline name, results are grouped dataset ->
pipeline, and no console error occurs. Saves results/report_screenshot.png (and
results/report_figure_screenshot.png) in the run's folder."""

import shutil
from pathlib import Path

import pytest
from conftest import snakemake, tiny_config

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
PIPELINES = tiny_config()["run"]["pipelines"]


def _chromium():
    if not CHROMIUM.exists():
        if shutil.which("apt-get") is None:
            pytest.skip(f"{CHROMIUM} is missing and apt-get is unavailable to install Debian's "
                        "chromium (`make test` installs it where apt is)")
        pytest.fail(f"{CHROMIUM} is missing: run `make test` (it installs Debian's chromium) "
                    "or `apt-get install -y chromium`")
    return CHROMIUM


def _hide_side_panel(page):
    """Click the side panel's close button (its header's x; the panel's "show" button sits
    off screen while the panel is open)."""
    buttons = page.locator("a.bg-transparent")
    boxes = [(buttons.nth(i).bounding_box() or {"x": -1})["x"] for i in range(buttons.count())]
    assert max(boxes) > 0, "the report's side panel has no close button"
    buttons.nth(boxes.index(max(boxes))).click()
    page.wait_for_timeout(300)


@pytest.fixture(scope="module")
def report(tiny_run, tmp_path_factory):
    """The session's tiny run (digits, labelled, six pipelines), copied, and its report."""
    chromium = _chromium()
    workdir = tmp_path_factory.mktemp("report") / "run"
    shutil.copytree(tiny_run[0], workdir, symlinks=True)  # the shared run stays as it is
    snakemake(workdir, "--configfile", str(workdir / "config.yaml"),
              "--report", "results/report.html")
    return workdir, chromium


@pytest.mark.workflow
def test_report_shows_the_leaderboard_in_chromium(report):
    from playwright.sync_api import sync_playwright

    workdir, chromium = report
    page_html = workdir / "results" / "report.html"
    errors = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1500, "height": 900})
            page.on("console", lambda m: m.type == "error" and errors.append(m.text))
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(page_html.as_uri())
            # the sidebar: the leaderboard's category first, then one per dataset
            menu = page.locator("ul").first.inner_text().splitlines()
            assert menu.index("★ Leaderboard") < menu.index("digits"), menu
            # results are grouped dataset -> pipeline (shared representations: the encoder)
            groups = page.evaluate("categories")
            assert sorted(groups) == ["digits", "★ Leaderboard"]
            assert set(PIPELINES) <= set(groups["digits"]), groups["digits"]
            leaderboard_items = {Path(p).name for items in groups["★ Leaderboard"].values()
                                 for p in items}
            assert leaderboard_items == {"leaderboard.csv", "leaderboard.html",
                                         "leaderboard.png"}
            # the first page (workflow description) links the table: one click, then its eye
            page.get_by_role("link", name="leaderboard.html").click()
            page.get_by_text("leaderboard table", exact=True).wait_for()
            page.locator('a[iconname="eye"]').first.click()
            frame_element = page.locator("iframe").first
            frame_element.wait_for()
            frame = frame_element.content_frame
            table = frame.locator("table").first
            table.wait_for()
            names = frame.locator("td.name").all_inner_texts()
            assert sorted(names) == sorted(PIPELINES)
            assert frame.locator("h2").all_inner_texts() == ["digits"]
            assert table.bounding_box()["width"] > 300  # rendered, not collapsed
            _hide_side_panel(page)  # the table at full width
            page.screenshot(path=str(workdir / "results" / "report_screenshot.png"))
            # and the figure, one click from the first page too
            page.goto(page_html.as_uri())
            page.get_by_role("link", name="leaderboard.png").click()
            page.get_by_text("leaderboard figure", exact=True).wait_for()
            page.locator('a[iconname="eye"]').first.click()
            image = page.locator("img[src^='data:image/png']").first
            image.wait_for()
            assert image.evaluate("i => i.naturalWidth") > 1000
            _hide_side_panel(page)
            page.screenshot(path=str(workdir / "results" / "report_figure_screenshot.png"))
        finally:
            browser.close()
    assert not errors, errors
    assert (workdir / "results" / "report_screenshot.png").stat().st_size > 10_000
