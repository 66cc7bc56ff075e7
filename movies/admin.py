from django.contrib import admin

from movies.models import Movie
from scraping.admin_actions import scrape_from_imdb
from scraping.forms import MovieImdbForm


@admin.register(Movie)
class MovieAdmin(admin.ModelAdmin):
    form = MovieImdbForm  # accepts a pasted IMDb URL in the IMDb id field
    actions = [scrape_from_imdb]
    list_display = ["title", "year", "kind", "imdb_id", "index_state"]
    search_fields = ["title", "imdb_id"]
