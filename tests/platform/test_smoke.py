from tests.conftest import login


def test_login_and_home(client, users):
    login(client, users["admin"])
    page = client.get("/")
    assert page.status_code == 200
    assert users["admin"].name in page.get_data(as_text=True)
