"""S3Store: MinIO or any S3 API, through the ``minio`` SDK."""

from __future__ import annotations

import functools
import io
from pathlib import Path
from typing import Iterator

from storage.base import ObjectExists, ObjectNotFound, StoreError, check_key

try:
    from minio import Minio
    from minio.error import S3Error
except ImportError as exc:  # pragma: no cover - minio is a core dependency
    raise ImportError("S3Store needs the minio SDK: uv sync (or pip install minio)") from exc

_MISSING = {"NoSuchKey", "NoSuchObject", "NoSuchBucket"}


def _store_errors(method):
    """Faults of the server or the network as one ``StoreError`` that says what to check;
    the method's own answers (``ObjectNotFound``, ``ObjectExists``) pass through."""

    @functools.wraps(method)
    def wrapper(self: S3Store, key: str = "", *args, **kwargs):
        try:
            return method(self, key, *args, **kwargs)
        except StoreError:
            raise
        except S3Error as exc:
            raise StoreError(f"the S3 server at {self.endpoint} refused {method.__name__} {key!r}: {exc.code}: "
                             f"{exc.message}") from exc
        except Exception as exc:  # connection refused, timeouts, TLS, a server that went away
            raise StoreError(f"the S3 server at {self.endpoint} did not answer ({type(exc).__name__}) during "
                             f"{method.__name__} {key!r}; check that it is running and STUDIO_STORAGE__S3_ENDPOINT") from exc

    return wrapper


class S3Store:
    """Objects in one bucket. The bucket is created on first use if it does not exist."""

    name = "s3"

    def __init__(
        self,
        endpoint: str,
        access_key: str,
        secret_key: str,
        bucket: str,
        secure: bool = False,
        region: str = "us-east-1",
        prefix: str = "",
    ):
        if "://" in endpoint:
            raise StoreError(
                f"S3 endpoint {endpoint!r} must be host:port without a scheme; set secure=true for https"
            )
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        import urllib3

        # fail in seconds, not minutes, when the server is gone; retry what a busy server refuses
        http = urllib3.PoolManager(timeout=urllib3.Timeout(connect=5, read=120), maxsize=16, retries=urllib3.Retry(
            total=3, connect=2, read=2, backoff_factor=0.2, status_forcelist=[500, 502, 503, 504]))
        self.client = Minio(endpoint, access_key=access_key, secret_key=secret_key, secure=secure, region=region,
                            http_client=http)
        self.endpoint = endpoint
        self._bucket_ready = False

    def _ensure_bucket(self) -> None:
        if self._bucket_ready:
            return
        try:
            if not self.client.bucket_exists(self.bucket):
                self.client.make_bucket(self.bucket)
        except S3Error as exc:
            if exc.code not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                raise StoreError(f"cannot use bucket {self.bucket} at {self.endpoint}: {exc}") from exc
        except Exception as exc:  # connection refused, DNS, TLS
            raise StoreError(
                f"cannot reach the S3 server at {self.endpoint} ({exc}); is MinIO running? "
                "Check STUDIO_STORAGE__S3_ENDPOINT"
            ) from exc
        self._bucket_ready = True

    def _name(self, key: str) -> str:
        self._ensure_bucket()
        return self.prefix + check_key(key)

    @_store_errors
    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        self.client.put_object(self.bucket, self._name(key), io.BytesIO(data), len(data), content_type=content_type)

    @_store_errors
    def put_new(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        # A conditional PUT (If-None-Match: *) is atomic on MinIO and S3; the SDK's public
        # put_object cannot send that header, its low-level _put_object can.
        try:
            self.client._put_object(
                self.bucket, self._name(key), data, {"If-None-Match": "*", "Content-Type": content_type}
            )
        except S3Error as exc:
            if exc.code in ("PreconditionFailed", "ConditionalRequestConflict"):
                raise ObjectExists(f"{key} already exists") from None
            raise

    @_store_errors
    def put_file(self, key: str, path: Path, content_type: str = "application/octet-stream") -> None:
        self.client.fput_object(self.bucket, self._name(key), str(path), content_type=content_type)

    @_store_errors
    def get(self, key: str) -> bytes:
        try:
            resp = self.client.get_object(self.bucket, self._name(key))
        except S3Error as exc:
            if exc.code in _MISSING:
                raise ObjectNotFound(f"{key} is not in bucket {self.bucket}") from None
            raise
        try:
            return resp.read()
        finally:
            resp.close()
            resp.release_conn()

    @_store_errors
    def get_file(self, key: str, path: Path) -> None:
        try:
            self.client.fget_object(self.bucket, self._name(key), str(path))
        except S3Error as exc:
            if exc.code in _MISSING:
                raise ObjectNotFound(f"{key} is not in bucket {self.bucket}") from None
            raise

    @_store_errors
    def exists(self, key: str) -> bool:
        try:
            self.client.stat_object(self.bucket, self._name(key))
            return True
        except S3Error as exc:
            if exc.code in _MISSING or exc.code == "NoSuchKey":
                return False
            raise

    @_store_errors
    def list(self, prefix: str = "") -> Iterator[str]:
        self._ensure_bucket()
        objs = self.client.list_objects(self.bucket, prefix=self.prefix + prefix, recursive=True)
        return iter(sorted(o.object_name[len(self.prefix) :] for o in objs))

    @_store_errors
    def delete(self, key: str) -> None:
        self.client.remove_object(self.bucket, self._name(key))
