"""An upload size limit that holds before a view runs: Django reads a multipart body (for the
CSRF check, too) before any view could look at it, so the count happens in the upload handler.
Past RECSYS_IMPORT_MAX_MB the files are dropped as they stream in (nothing is stored) and
request.upload_too_large says how much had arrived; the import view reports it."""

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload


class SizeLimitUploadHandler(FileUploadHandler):
    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > settings.RECSYS_IMPORT_MAX_MB * 2**20:
            self.request.upload_too_large = self.received
            # Read and discard the rest (the form's fields, CSRF token included, came first).
            raise StopUpload(connection_reset=False)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None  # the next handlers store the file
