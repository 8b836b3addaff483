"""Spanish and English: the switcher first, then Accept-Language."""


def test_accept_language_picks_spanish(client):
    page = client.get("/auth/login", headers={"Accept-Language": "es-ES,es;q=0.9,en;q=0.5"}).text
    assert 'lang="es"' in page and "Iniciar sesión" in page and "Contraseña" in page


def test_default_is_english(client):
    page = client.get("/auth/login").text
    assert 'lang="en"' in page and "Log in" in page


def test_switcher_overrides_the_browser(client):
    response = client.get("/lang/es", headers={"Referer": "http://localhost/auth/login"})
    assert response.status_code == 302 and response.headers["Location"] == "/auth/login"
    assert "Contraseña" in client.get("/auth/login", headers={"Accept-Language": "en"}).text
    client.get("/lang/en")
    assert "Password" in client.get("/auth/login", headers={"Accept-Language": "es"}).text


def test_unknown_language_is_ignored(client):
    client.get("/lang/xx")
    assert "Log in" in client.get("/auth/login").text


def test_navigation_is_translated_for_logged_in_users(client, login):
    login("admin")
    page = client.get("/", headers={"Accept-Language": "es"}).text
    assert "Administración" in page and "Registro de auditoría" in page and "Tareas" in page


def test_every_translatable_string_has_a_spanish_translation():
    """Extract the messages from the code as `make extract-messages` does; each needs a non-fuzzy msgstr."""
    from pathlib import Path

    from babel.messages.extract import extract_from_dir
    from babel.messages.pofile import read_po

    root = Path(__file__).resolve().parents[2]
    method_map = [("app/**.py", "python"), ("app/templates/**.html", "jinja2")]
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}
    in_code = {message for _, _, message, _, _ in extract_from_dir(str(root), method_map, keywords=keywords)}
    in_code = {m if isinstance(m, str) else m[0] for m in in_code}
    with (root / "app/translations/es/LC_MESSAGES/messages.po").open("rb") as handle:
        catalogue = read_po(handle)
    translated = {m.id for m in catalogue if m.id and m.string and not m.fuzzy}
    assert sorted(in_code - translated) == [], "translate these in app/translations/es/LC_MESSAGES/messages.po"
