"""The EDA page draws its plotly charts in headless Chromium under a script-src 'self' Content-Security-Policy."""

import random

import pytest

from tests.app.eda.test_eda_pages import add_case
from tests.browser.test_job_progress import log_in

pytestmark = pytest.mark.browser

TERMS = ["HP:0001945", "HP:0012735", "HP:0000988", "HP:0002315", "HP:0001824", "HP:0002013", "HP:0000118"]
DISEASES = ["ICD10:J00", "ICD10:J00", "ICD10:J00", "ICD10:I10", "ICD10:K21.9", "ORPHA:558", "OMIM:154700"]
CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:"


@pytest.mark.slow
def test_the_eda_page_renders_every_chart_without_inline_scripts(live_server, page, make_user, run_worker,
                                                                 tmp_path):
    rng = random.Random(3)
    for _ in range(120):
        add_case(rng.choice(["hospital", "registry", "research"]), sex=rng.choice(["female", "male", None]),
                 present=rng.sample(TERMS, rng.randint(1, 4)), diagnoses=[rng.choice(DISEASES)],
                 temperature=round(rng.gauss(37.2, 0.7), 1))

    def with_csp(route):
        response = route.fetch()
        route.fulfill(response=response, headers={**response.headers, "content-security-policy": CSP})

    page.route("**/eda/", with_csp)
    problems = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    log_in(page, live_server, make_user("admin").email)
    page.goto(f"{live_server}/eda/")
    page.click("text=Compute the analysis")
    page.wait_for_url("**/jobs/*")
    run_worker()
    page.goto(f"{live_server}/eda/")
    page.wait_for_selector("[data-chart=chart-heterogeneity] .main-svg", timeout=20000)
    drawn = page.eval_on_selector_all("[data-chart]", "els => els.filter(e => e.querySelector('.main-svg')).length")
    assert drawn == 9
    assert page.locator("[data-chart=chart-diseases] .bars path").count() >= 5  # one bar per disease
    page.screenshot(path=str(tmp_path / "eda.png"), full_page=True)
    assert problems == []
