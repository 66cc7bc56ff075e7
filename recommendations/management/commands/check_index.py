"""Compare the vector index with the catalogue; exit non-zero when they disagree."""

from django.core.management.base import BaseCommand, CommandError

from recommendations.indexing.services import index_check

SHOWN = 10


class Command(BaseCommand):
    help = "List films missing from, stale in, or extra in the vector index."

    def handle(self, *args, **options) -> None:
        report = index_check()
        self.stdout.write(f"{report.films} films, {report.vectors} vectors in the live index")
        for label, ids in [
            ("missing", report.missing),
            ("stale", report.stale),
            ("extra", report.extra),
        ]:
            sample = ", ".join(str(i) for i in ids[:SHOWN]) + (" ..." if len(ids) > SHOWN else "")
            self.stdout.write(f"{label}: {len(ids)}" + (f" ({sample})" if ids else ""))
        self.stdout.write(f"not marked indexed in the database: {report.not_indexed}")
        if not report.ok:
            raise CommandError("the index disagrees with the catalogue: run `sync_index`")
        self.stdout.write(self.style.SUCCESS("The index matches the catalogue."))
