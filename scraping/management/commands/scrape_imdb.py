"""python manage.py scrape_imdb IMDB_ID [--base-url URL] [--fetcher auto|http|browser]"""

import json

from django.core.management.base import BaseCommand, CommandError

from movies.forms import normalize_imdb_id
from scraping.errors import ScrapeError
from scraping.fetch import FETCHERS, scrape_title


class Command(BaseCommand):
    help = "Scrape one IMDb title page and print the extracted fields as JSON (changes nothing)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("imdb_id", help="tt1234567 or an IMDb title URL")
        parser.add_argument("--base-url", help="site root (default RECSYS_SCRAPE_BASE_URL)")
        parser.add_argument("--fetcher", choices=FETCHERS, help="default RECSYS_SCRAPE_FETCHER")

    def handle(self, *args, imdb_id: str, base_url: str | None, fetcher: str | None, **options):
        try:
            title_id = normalize_imdb_id(imdb_id)
            page = scrape_title(title_id or "", base_url=base_url, fetcher=fetcher)
        except ScrapeError as error:
            raise CommandError(f"[{error.kind}] {error.message}") from error
        except Exception as error:  # a ValidationError from the id normaliser
            raise CommandError(str(getattr(error, "messages", [error])[0])) from error
        output = {
            "url": page.final_url,
            "fetcher": page.fetcher,
            "seconds": round(page.seconds, 3),
            **page.extraction.as_dict(),
        }
        self.stdout.write(json.dumps(output, indent=2, ensure_ascii=False))
