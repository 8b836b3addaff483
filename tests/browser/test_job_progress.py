"""An admin launches a job from a page and watches its progress bar fill as a real worker runs it."""

import pytest

from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def log_in(page, base_url: str, email: str) -> None:
    page.goto(f"{base_url}/auth/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("input[type=submit]")


def test_job_page_follows_the_worker_to_the_result(live_server, page, make_user, run_worker):
    admin = make_user("admin")
    log_in(page, live_server, admin.email)
    page.goto(f"{live_server}/monitoring/audit")
    page.click("text=Export the audit log as CSV")
    page.wait_for_url("**/jobs/*")
    assert page.inner_text("[data-field=status]") == "queued"
    assert page.get_attribute("progress[data-field=progress]", "value") == "0"

    run_worker()

    # The page polls /api/v1/jobs/<id> and reloads when the job is done.
    page.wait_for_selector("text=Download", timeout=15000)
    assert page.inner_text("[data-field=status]") == "finished"
    assert page.get_attribute("progress[data-field=progress]", "value") == "100"
    with page.expect_download() as download:
        page.click("text=Download")
    assert download.value.suggested_filename.startswith("audit-")


def test_spanish_switcher_translates_the_page(live_server, page, make_user):
    clinician = make_user("clinician")
    log_in(page, live_server, clinician.email)
    page.click("a.lang[lang=es]")
    assert page.inner_text("main h1") == "Bienvenido a dxflow"
    assert page.get_attribute("html", "lang") == "es"
