"""The HTML report in a real browser: loads without console errors, every figure decodes and renders."""

from __future__ import annotations

import shutil

import pytest

from .conftest import snakemake

pytestmark = pytest.mark.workflow

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--window-size=1400,1000"]
CATEGORIES = ["1 summary", "2 classical", "3 jets", "4 contrastive", "5 embeddings", "6 performance"]

# Resolve every embedded PNG through an <img> element; report how many rendered with a real size.
RENDER_ALL_IMAGES = """
const done = arguments[arguments.length - 1];
const pngs = Object.values(results).filter(r => r.mime_type === "image/png");
Promise.all(pngs.map(r => new Promise(resolve => {
    const img = new Image();
    img.onload = () => resolve([r.filename, img.naturalWidth, img.naturalHeight]);
    img.onerror = () => resolve([r.filename, 0, 0]);
    img.src = r.data_uri;
}))).then(done);
"""


@pytest.fixture(scope="module")
def browser():
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if not (chromium and driver):
        pytest.skip("Debian's chromium and chromium-driver are not installed (apt-get install chromium chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    d = webdriver.Chrome(service=Service(driver), options=options)
    d.set_script_timeout(120)
    yield d
    d.quit()


def test_report_loads_without_console_errors_and_every_figure_renders(finished_run, browser):
    snakemake(finished_run, "--report", "report.html")
    report = finished_run / "report.html"
    browser.get(report.as_uri())
    browser.implicitly_wait(5)
    assert browser.title == "Snakemake Report"
    categories = browser.execute_script("return Object.keys(categories)")
    assert sorted(categories) == CATEGORIES, categories  # the report's menu sorts them: summary first
    rendered = browser.execute_async_script(RENDER_ALL_IMAGES)
    assert len(rendered) >= 15
    broken = [name for name, w, h in rendered if w < 50 or h < 50]
    assert broken == []
    names = {name for name, _, _ in rendered}
    for expected in ("comparison_grid.png", "event_display.png", "gallery.png", "embedding.png",
                     "penguins_all_features.png", "benchmark.png"):
        assert expected in names
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []
    assert "Palmer penguins" in browser.page_source  # the workflow description rendered from the config
    shot = finished_run / "results" / "report_screenshot.png"
    browser.save_screenshot(str(shot))
    assert shot.stat().st_size > 10_000


def test_report_opens_the_summary_page_with_its_table_of_headline_results(finished_run, browser):
    from selenium.webdriver.common.by import By

    if not (finished_run / "report.html").exists():
        snakemake(finished_run, "--report", "report.html")
    browser.get((finished_run / "report.html").as_uri())
    browser.implicitly_wait(5)
    key = browser.execute_script("return Object.keys(results).find(k => k.endsWith('summary.html'))")
    assert key, "the summary page is not a report item"
    # what clicking the item does: show the page in the content frame
    browser.execute_script("app.setView({content: 'html', contentPath: results[arguments[0]].data_uri, "
                           "resultPath: arguments[0]})", key)
    browser.switch_to.frame(browser.find_element(By.TAG_NAME, "iframe"))
    table = browser.find_element(By.ID, "summary")
    rows = table.find_elements(By.CSS_SELECTOR, "tbody tr:not(.section)")
    text = table.text
    browser.switch_to.default_content()
    assert len(rows) >= 8
    for expected in ("best method", "events whose jets differ", "FastJet", "clusterer Hungarian ACC", "t-SNE"):
        assert expected in text, text
