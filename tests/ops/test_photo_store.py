"""Photos in a shared store (issue 16): a folder every host mounts, or S3-compatible object storage.

Both stores go through the same tests: the store's own operations, names that are not ours, and
an incident photo uploaded through the site, shown by the photo page (also by a second app with
an instance folder of its own: another host) and gone after "Verwijderen" and after the purge.
S3 is moto's server on 127.0.0.1 (a real HTTP endpoint boto3 talks to; nothing leaves the machine).
"""

from __future__ import annotations

import io
import secrets
from datetime import timedelta

import pytest

from buurt.extensions import db
from buurt.models import Incident, ResidentStatus, Role, utcnow
from buurt.photostore import DirStore, PhotoStoreUnavailable, S3Store, photo_store
from tests.conftest import make_test_app
from tests.gunicorn_support import free_port
from tests.incidents.conftest import jpeg_with_gps, report_data, reported
from tests.link_support import submit_link

BUCKET = "buurt-fotos"
PREFIX = "rijnsoever/incidenten"
REGION = "us-east-1"


@pytest.fixture(scope="module")
def s3_endpoint():
    """moto's S3 on a free loopback port, with a bucket; boto3 reads test credentials from the environment."""
    import boto3
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    with pytest.MonkeyPatch.context() as env:
        env.setenv("AWS_ACCESS_KEY_ID", "fictief-testsleutel")
        env.setenv("AWS_SECRET_ACCESS_KEY", "fictief-testgeheim")
        env.setenv("AWS_CONFIG_FILE", "/nonexistent")
        env.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
        env.setenv("AWS_EC2_METADATA_DISABLED", "true")
        client = boto3.session.Session().client("s3", endpoint_url=endpoint, region_name=REGION)
        client.create_bucket(Bucket=BUCKET)
        yield endpoint
    server.stop()


@pytest.fixture(scope="module")
def shared_folder(tmp_path_factory):
    """A folder outside every instance folder (what NFS or a shared volume would be)."""
    return tmp_path_factory.mktemp("shared-photos") / "incidents"


@pytest.fixture(params=["folder", "s3"])
def store_config(request, shared_folder) -> dict:
    if request.param == "folder":
        return {"PHOTO_STORE": str(shared_folder)}
    endpoint = request.getfixturevalue("s3_endpoint")
    return {
        "PHOTO_STORE": f"s3://{BUCKET}/{PREFIX}",
        "PHOTO_S3_ENDPOINT_URL": endpoint,
        "PHOTO_S3_REGION": REGION,
    }


@pytest.fixture
def app_config(store_config):
    return store_config


@pytest.fixture
def store(app):
    return photo_store(app)


@pytest.fixture
def resident_link(app, groups, make_resident):
    """The personal report link of a confirmed resident in the Noord group."""
    from buurt.incidents.reports import report_link

    resident = make_resident(groups[3], status=ResidentStatus.ADDED)
    with app.test_request_context():
        return report_link(resident, external=False)


def upload(client, resident_link) -> Incident:
    data = report_data(photo=(io.BytesIO(jpeg_with_gps()), "foto.jpg"))
    assert reported(submit_link(client, resident_link, data=data, content_type="multipart/form-data"))
    db.session.expire_all()
    incident = db.session.scalars(db.select(Incident).order_by(Incident.id.desc())).first()
    assert incident.photo_filename
    return incident


def test_write_read_delete_and_names(store):
    name = f"{secrets.token_hex(16)}.jpg"
    assert store.read(name) is None
    store.write(name, b"\xff\xd8 fictieve foto")
    assert store.read(name) == b"\xff\xd8 fictieve foto"
    assert name in set(store.names())
    store.delete(name)
    assert store.read(name) is None
    assert name not in set(store.names())
    store.delete(name)  # gone already: no error


@pytest.mark.parametrize("name", ["../config.py", "/etc/passwd", "", "a/b.jpg", "..jpg", "x.jpg.png", "ABCDEF12.jpg"])
def test_names_that_are_not_ours_are_refused(store, name):
    with pytest.raises(ValueError, match="not a photo name"):
        store.write(name, b"x")
    assert store.read(name) is None
    store.delete(name)  # nothing happens
    assert name not in set(store.names())


def test_an_uploaded_photo_is_shown_and_goes_with_its_incident(client, store, resident_link, make_user, login, groups):
    incident = upload(client, resident_link)
    name = incident.photo_filename
    stored = store.read(name)
    assert stored is not None
    assert b"FictiefCameraMerk" not in stored

    login(make_user(Role.BEHEERDER, groups=[groups[3]]))  # Noord
    shown = client.get(f"/incidenten/{incident.id}/foto")
    assert shown.status_code == 200
    assert shown.data == stored
    assert shown.headers["Cache-Control"] == "private, no-store"

    assert client.post(f"/incidenten/{incident.id}/verwijderen").status_code == 302
    assert store.read(name) is None
    assert name not in set(store.names())
    assert client.get(f"/incidenten/{incident.id}/foto").status_code == 404


def test_the_purge_removes_the_photo_from_the_store(app, client, store, resident_link):
    from buurt.retention import run_purge

    incident = upload(client, resident_link)
    name = incident.photo_filename
    long_ago = utcnow() - timedelta(days=app.config["RETENTION_INCIDENT_DETAIL_DAYS"] + 2)
    incident.occurred_at = incident.reported_at = long_ago
    db.session.commit()

    report = run_purge(apply=True)
    assert report.counts["incident_detail"] == 1
    assert store.read(name) is None
    assert db.session.get(Incident, incident.id).photo_filename is None


def test_a_photo_uploaded_on_one_host_is_shown_on_another(app, client, resident_link, make_user, groups, tmp_path):
    """Two apps with instance folders of their own on one database and one store: hosts A and B."""
    incident = upload(client, resident_link)
    beheerder = make_user(Role.BEHEERDER, groups=[groups[3]])  # Noord
    overrides = {k: app.config[k] for k in ("PHOTO_STORE", "PHOTO_S3_ENDPOINT_URL", "PHOTO_S3_REGION")}
    host_b = make_test_app(tmp_path, SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"], **overrides)
    assert host_b.instance_path != app.instance_path
    try:
        browser = host_b.test_client()
        assert browser.post("/inloggen", data={"email": beheerder.email, "password": _password()}).status_code == 302
        shown = browser.get(f"/incidenten/{incident.id}/foto")
        assert shown.status_code == 200
        assert shown.data == photo_store(app).read(incident.photo_filename)
        assert not (tmp_path / "instance" / "uploads").exists()  # nothing in host B's own folder
    finally:
        with host_b.app_context():
            db.session.remove()
            db.engine.dispose()


def _password() -> str:
    from tests.conftest import PASSWORD

    return PASSWORD


# --- what is particular to each store ----------------------------------------------------------------


def test_s3_objects_are_private_encrypted_and_under_the_prefix(s3_endpoint):
    store = S3Store.from_url(f"s3://{BUCKET}/{PREFIX}/", endpoint_url=s3_endpoint, region=REGION)
    name = f"{secrets.token_hex(16)}.png"
    store.write(name, b"\x89PNG fictief")
    client = store.client()
    head = client.head_object(Bucket=BUCKET, Key=f"{PREFIX}/{name}")
    assert head["ServerSideEncryption"] == "AES256"
    acl = client.get_object_acl(Bucket=BUCKET, Key=f"{PREFIX}/{name}")
    assert [grant["Permission"] for grant in acl["Grants"]] == ["FULL_CONTROL"]  # the owner only
    assert all(grant["Grantee"].get("Type") == "CanonicalUser" for grant in acl["Grants"])
    config = client.meta.config
    assert (config.connect_timeout, config.read_timeout) == (5, 5)
    assert config.retries["total_max_attempts"] == 3
    described = store.describe()
    assert BUCKET in described
    assert "fictief" not in described  # no credentials
    store.delete(name)


def test_an_unreachable_s3_gives_a_dutch_503_not_a_hang_or_a_500(client, resident_link, make_user, login):
    dead = S3Store(BUCKET, PREFIX, endpoint_url=f"http://127.0.0.1:{free_port()}", region=REGION)
    with pytest.raises(PhotoStoreUnavailable):
        dead.read(f"{secrets.token_hex(16)}.jpg")
    with pytest.raises(PhotoStoreUnavailable):
        dead.write(f"{secrets.token_hex(16)}.jpg", b"x")

    incident = upload(client, resident_link)
    client.application.extensions["buurt.photostore"] = dead
    try:
        login(make_user(Role.WIJKAGENT))
        answer = client.get(f"/incidenten/{incident.id}/foto")
    finally:
        client.application.extensions.pop("buurt.photostore")
    assert answer.status_code == 503
    assert "De foto kan nu niet worden geladen" in answer.get_data(as_text=True)


def test_local_folder_is_the_folder_store_s_folder(app, store):
    from buurt.photostore import local_folder

    assert local_folder(app) == (store.folder if isinstance(store, DirStore) else None)


def test_a_shared_folder_is_private_and_init_keeps_it_so(tmp_path):
    from buurt.private_files import tighten

    instance = tmp_path / "instance"
    instance.mkdir()
    folder = tmp_path / "mounted" / "photos"
    own = DirStore(folder)
    name = f"{secrets.token_hex(16)}.jpg"
    own.write(name, b"x")
    assert (folder.stat().st_mode & 0o777, (folder / name).stat().st_mode & 0o777) == (0o700, 0o600)
    folder.chmod(0o755)
    (folder / name).chmod(0o644)
    changed = tighten(str(instance), f"sqlite:///{instance / 'buurt.sqlite'}", photo_folder=folder)
    assert {folder, folder / name} <= set(changed)
    assert (folder.stat().st_mode & 0o777, (folder / name).stat().st_mode & 0o777) == (0o700, 0o600)
