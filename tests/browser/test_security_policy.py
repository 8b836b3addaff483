"""The pages work under dxflow's Content-Security-Policy: no violation reported, styles and scripts applied."""

import pytest

from tests.browser.test_job_progress import log_in

pytestmark = pytest.mark.browser


def test_pages_raise_no_content_security_policy_violation(live_server, page, make_user, run_worker):
    violations = []
    page.on("console", lambda message: "Content Security Policy" in message.text and violations.append(message.text))
    admin = make_user("admin")
    log_in(page, live_server, admin.email)
    for path in ("/", "/admin/", "/admin/users", "/admin/uploads", "/admin/profiles", "/admin/vocabulary",
                 "/monitoring/audit", "/jobs/", "/no/such/page"):
        page.goto(f"{live_server}{path}")
        # The stylesheet is applied: the top bar is laid out by dxflow.css, not the browser's defaults.
        assert page.evaluate("document.styleSheets.length") == 1
        assert page.evaluate("getComputedStyle(document.querySelector('header.topbar')).display") == "flex", path
    page.goto(f"{live_server}/monitoring/audit")
    page.click("text=Export the audit log as CSV")
    page.wait_for_url("**/jobs/*")
    run_worker()
    page.wait_for_selector("text=Download", timeout=15000)  # job_progress.js polled and reloaded the page
    assert violations == []


def test_an_inline_script_is_refused_by_the_policy(live_server, page):
    violations = []
    page.on("console", lambda message: "Content Security Policy" in message.text and violations.append(message.text))
    page.goto(f"{live_server}/auth/login")
    page.evaluate("""() => { const s = document.createElement('script'); s.textContent = 'window.ran = 1';
                              document.body.appendChild(s); }""")
    assert page.evaluate("window.ran") is None
    assert violations, "an inline script ran or was refused silently"
