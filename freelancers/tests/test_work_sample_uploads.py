"""Work sample uploads: only real documents, stored under random names, sent only as downloads,
in the local folder and in S3 alike (a real S3-compatible server, see processes.s3_server)."""

import io
import urllib.error
import urllib.request
import zipfile
from http import HTTPStatus

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from freelancers.models import WorkSample
from freelancers.tests.factories import FreelancerFactory

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
HTML = b"<!doctype html><html><script>alert(document.cookie)</script></html>"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64


def docx_bytes():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture(params=["local folder", "S3"])
def media_storage(request):
    """Each test that stores a file runs once with either storage; the code sees only the storage."""
    if request.param == "S3":
        request.getfixturevalue("s3_storage")
    return default_storage


def upload(client, freelancer, name, content, **extra):
    url = reverse("freelancers:item_create", args=[freelancer.pk, "samples"])
    return client.post(url, {"title": "Brochure", "file": SimpleUploadedFile(name, content), **extra})


@pytest.mark.parametrize(("name", "content"), [("brochure.pdf", PDF), ("logo.png", PNG), ("plan.docx", None)])
def test_a_real_document_is_stored_under_a_random_name(owner_client, media_storage, name, content):
    freelancer = FreelancerFactory()

    response = upload(owner_client, freelancer, name, content or docx_bytes())

    assert response.status_code == HTTPStatus.FOUND
    sample = freelancer.samples.get()
    assert sample.original_filename == name
    assert name not in sample.file.name
    assert sample.file.name.startswith("samples/")
    assert media_storage.exists(sample.file.name)


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("cv.pdf", HTML, "content is not a"),
        ("cv.pdf", EXE, "content is not a"),
        ("page.html", HTML, "content is not a"),
        ("logo.pdf", PNG, "named .pdf but its content is PNG"),
    ],
)
def test_a_file_whose_content_is_not_an_allowed_type_is_refused(owner_client, name, content, words):
    freelancer = FreelancerFactory()

    response = upload(owner_client, freelancer, name, content)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert words in " ".join(response.context["forms"]["samples"].errors["file"])
    assert not WorkSample.objects.exists()


def test_an_oversized_file_is_refused_with_the_limit(owner_client, settings):
    settings.UPLOAD_MAX_BYTES = 1024
    freelancer = FreelancerFactory()

    response = upload(owner_client, freelancer, "big.pdf", PDF + b"0" * 2048)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "the limit is 1.0\xa0KB" in " ".join(response.context["forms"]["samples"].errors["file"])
    assert not WorkSample.objects.exists()


def test_a_sample_needs_a_link_or_a_file(owner_client):
    freelancer = FreelancerFactory()
    url = reverse("freelancers:item_create", args=[freelancer.pk, "samples"])

    response = owner_client.post(url, {"title": "Nothing attached"})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Give a link to the sample or upload a file." in response.context["forms"]["samples"].errors["url"]


def test_the_file_is_sent_as_a_download_with_its_original_name(owner_client, media_storage):
    freelancer = FreelancerFactory()
    upload(owner_client, freelancer, "brochure.pdf", PDF)
    sample = freelancer.samples.get()

    response = owner_client.get(sample.get_download_url())

    assert response.status_code == HTTPStatus.OK
    assert response["Content-Disposition"] == 'attachment; filename="brochure.pdf"'
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == PDF


def test_the_file_is_not_served_to_anyone_logged_out_or_without_the_permission(
    owner_client, client, outsider, media_storage
):
    freelancer = FreelancerFactory()
    upload(owner_client, freelancer, "brochure.pdf", PDF)
    url = freelancer.samples.get().get_download_url()
    owner_client.logout()

    assert client.get(url).status_code == HTTPStatus.FOUND  # to the login page
    client.force_login(outsider)
    assert client.get(url).status_code == HTTPStatus.FORBIDDEN


def test_a_sample_whose_file_went_missing_is_a_404(owner_client, media_storage):
    freelancer = FreelancerFactory()
    upload(owner_client, freelancer, "brochure.pdf", PDF)
    sample = freelancer.samples.get()
    media_storage.delete(sample.file.name)
    assert not media_storage.exists(sample.file.name)

    assert owner_client.get(sample.get_download_url()).status_code == HTTPStatus.NOT_FOUND


def test_a_file_kept_in_s3_cannot_be_fetched_from_the_bucket_without_the_apps_keys(
    owner_client, s3_storage, s3_server
):
    freelancer = FreelancerFactory()
    upload(owner_client, freelancer, "brochure.pdf", PDF)
    name = freelancer.samples.get().file.name

    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{s3_server.url}/{s3_storage}/{name}")

    assert refused.value.code == HTTPStatus.FORBIDDEN
    grants = s3_server.client().get_object_acl(Bucket=s3_storage, Key=name)["Grants"]
    assert [grant["Permission"] for grant in grants] == ["FULL_CONTROL"]  # the bucket owner's alone
    assert s3_server.objects(s3_storage) == {name: PDF}
