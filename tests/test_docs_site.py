"""The documentation site, built with ``mkdocs build --strict`` and opened in headless Chromium
over HTTP on 127.0.0.1: pages open without console errors, every image loads, and the search
finds "SLURM". Saves a screenshot of the home page as site_home.png in the test's folder."""

import functools
import os
import subprocess
import sys
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest
from conftest import ROOT
from test_report_browser import ARGS, _chromium

PAGES = ["", "getting-started/", "own-data/", "choosing-a-pipeline/", "reading-results/",
         "configuration/", "api/", "benchmark/"]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The site built into a scratch folder and served on 127.0.0.1: its base URL."""
    folder = tmp_path_factory.mktemp("site")
    built = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet",
                            "--site-dir", str(folder / "site")], cwd=ROOT, capture_output=True,
                           text=True, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert built.returncode == 0, built.stdout + built.stderr
    handler = functools.partial(type("Quiet", (SimpleHTTPRequestHandler,),
                                     {"log_message": lambda *a: None}),
                                directory=str(folder / "site"))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/", folder
    server.shutdown()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(_chromium()), args=ARGS)
        yield chromium
        chromium.close()


def _open(browser, url: str):
    """A page at ``url`` and the list its console errors are collected in."""
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    errors = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url, wait_until="networkidle")
    return page, errors


def test_pages_open_without_console_errors_and_every_image_loads(site, browser):
    base, folder = site
    seen_images = 0
    for path in PAGES:
        page, errors = _open(browser, base + path)
        assert page.locator("h1").count() >= 1, path
        images = page.locator("article img")
        for i in range(images.count()):
            image = images.nth(i)
            image.scroll_into_view_if_needed()
            image.evaluate("i => i.complete || new Promise(r => i.onload = i.onerror = r)")
            src = image.get_attribute("src")
            assert image.evaluate("i => i.naturalWidth") > 0, f"{path}: {src} did not load"
        seen_images += images.count()
        if path == "":
            page.screenshot(path=str(folder / "site_home.png"), full_page=True)
        page.close()
        assert not errors, f"{path}: {errors}"
    assert seen_images >= 15  # reading-results shows one picture per figure
    assert (folder / "site_home.png").stat().st_size > 10_000


def test_search_finds_slurm(site, browser):
    base, _ = site
    page, errors = _open(browser, base)
    search = page.locator("input.md-search__input")
    search.click()
    search.type("SLURM", delay=20)  # key by key, as the search listens to key events
    results = page.locator(".md-search-result__item")
    results.first.wait_for(timeout=20_000)
    links = page.locator(".md-search-result__item a").evaluate_all("as => as.map(a => a.href)")
    assert any("/slurm/" in link for link in links), links
    page.close()
    assert not errors, errors
