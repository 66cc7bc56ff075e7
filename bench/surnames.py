"""A person named by a surname alone (recommendations/search/surnames.py): how often a
misspelled surname finds its person, how often a misspelled ordinary word is taken for a
person instead, and which words spelled right name someone. On the bundled catalogue and on
the 36k Wikipedia films, imported only (names need no vectors) into var/bench-names-<name>.

    python -m bench.surnames [--catalogue bundled|wikipedia] [--part validation|test]

Misspellings are made here, one per word, seeded by the word: a letter after the first dropped,
replaced, doubled or swapped with the next. Surnames: those that name one person (the
catalogue's rule) of at least five letters, of a person with two films or more. Ordinary words:
words of at least five letters in the text of eight films or more, none a word of any
person's name. Both are split in two halves by a hash of the word: settings are chosen on
"validation", and "test" is read once for the setting chosen.

Rows: "before" (no surname lookup: what search did until 2026-12-06), the lookup as shipped
(`CatalogueSnapshot.closest_name`), and, on validation, variants of it: the cut-off; a
misspelled title or name, when found, kept before a surname even where the surname is spelled
nearer; without the check that the surname reads as a name; without the check that no
ordinary word is spelled as near (or with only a nearer one ruling the surname out).
"""

import argparse
import hashlib
import os
import random
import subprocess
import sys
import time
from collections.abc import Callable

from bench.catalogues import ROOT, SHARED_DATA

SOURCES = {
    "bundled": ("jsonl", [ROOT / "data" / "catalogue.jsonl"]),
    "wikipedia": ("wikipedia", sorted((SHARED_DATA / "wikipedia-movies").glob("movies-*.json"))),
}
LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _setup(name: str) -> None:
    directory = ROOT / "var" / f"bench-names-{name}"
    env = {**os.environ, "RECSYS_DATA_DIR": str(directory), "DJANGO_DEBUG": "true"}
    env["REDIS_URL"] = ""
    if not (directory / "imported").exists():
        directory.mkdir(parents=True, exist_ok=True)
        fmt, paths = SOURCES[name]
        for command in (["migrate", "-v0"], ["import_movies", "--format", fmt, *map(str, paths)]):
            subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True)
        (directory / "imported").write_text("ok\n")
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "recsys_site.settings")
    import django

    django.setup()


def misspelled(word: str) -> str:
    """One typing slip in `word`, the same every run."""
    rng = random.Random(hashlib.sha256(word.encode()).digest())
    at = rng.randrange(1, len(word) - 1)
    slip = rng.choice(("drop", "replace", "double", "swap"))
    if slip == "drop":
        return word[:at] + word[at + 1 :]
    if slip == "replace":
        return word[:at] + rng.choice(LETTERS.replace(word[at], "")) + word[at + 1 :]
    if slip == "double":
        return word[: at + 1] + word[at:]
    return word[:at] + word[at + 1] + word[at] + word[at + 2 :]


def _share(count: int, out_of: int) -> str:
    return f"{count:>7} ({count / max(out_of, 1):6.1%})"


def part_of(word: str) -> str:
    return "validation" if hashlib.sha256(word.encode()).digest()[0] % 2 == 0 else "test"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--catalogue", choices=sorted(SOURCES), default="bundled")
    parser.add_argument("--part", choices=("validation", "test"), default="validation")
    parser.add_argument("--only", nargs="*", default=[], help="these rows, with the first two")
    args = parser.parse_args()
    _setup(args.catalogue)
    from recommendations.search.catalogue import get_snapshot
    from recommendations.search.fuzzy import FuzzyMatch, could_be_a_name
    from recommendations.search.lexical import tokenize

    snapshot = get_snapshot()
    surnames, people = snapshot.surnames, snapshot.people
    name_words = {w for name in people for w in name.split()}
    targets = {
        surname: name
        for surname, name in surnames.by_spelling.items()
        if name
        and len(surname) >= 5
        and " " not in surname
        and len(set(people[name])) >= 2
        and part_of(surname) == args.part
        and misspelled(surname) not in name_words
    }
    body = snapshot.lexical.fields["body"]
    words = [
        w
        for w in sorted(body.vocab_dict)
        if len(w) >= 5
        and w.isalpha()
        and w not in name_words
        and part_of(w) == args.part
        and len(snapshot.lexical.films_with("body", w)) >= 8
    ]
    # Words of eight films' text or more that are also a word of some name ("stone", "ford")
    common = [
        w
        for w in sorted(body.vocab_dict)
        if len(w) >= 5
        and w in name_words
        and part_of(w) == args.part
        and len(snapshot.lexical.films_with("body", w)) >= 8
    ]

    def shipped(query: str) -> FuzzyMatch | None:
        return snapshot.closest_name(query)

    def before(query: str) -> FuzzyMatch | None:
        unknown = not snapshot.lexical.knows_all(tokenize(query))
        return snapshot.names.closest(query, has_unknown_word=unknown)

    def variant(
        cutoff: float,
        reads_as_name: bool,
        nearer: bool,
        first: bool = True,
        only_nearer: bool = False,
    ) -> Callable:
        def lookup(query: str) -> FuzzyMatch | None:
            match = before(query)
            if match is not None and not first:
                return match
            if not could_be_a_name(query) or snapshot.lexical.knows_all(tokenize(query)):
                return match
            if (found := surnames.closest(query, cutoff)) is None:
                return match
            name, surname, score = found
            if reads_as_name and not snapshot._reads_as_name(name, tokenize(surname)[-1]):
                return match
            besides = set(tokenize(name))
            if nearer and snapshot.lexical.has_nearer_word(
                query, score, besides=besides, or_as_near=not only_nearer
            ):
                return match
            if match is not None and match.score >= score:
                return match
            return FuzzyMatch("person", snapshot.names.person_labels[name], score, ())

        return lookup

    rows: list[tuple[str, Callable]] = [("before", before), ("shipped", shipped)]
    if args.part == "validation":  # the test part is read for the setting shipped alone
        for cutoff in (80.0, 85.0, 90.0):
            for reads, nearer, first in (
                (True, True, True),
                (True, True, False),
                (False, True, True),
                (True, False, True),
                (False, False, True),
            ):
                label = f"cut-off {cutoff:.0f}" + ("" if first else ", after any title")
                label += "" if reads else ", any surname"
                label += "" if nearer else ", spelling of other words ignored"
                rows.append((label, variant(cutoff, reads, nearer, first)))
        only_nearer = variant(80, True, True, only_nearer=True)
        rows.insert(2, ("cut-off 80, only a nearer word rules out", only_nearer))
    rows = [row for row in rows if not args.only or row[0] in ("before", "shipped", *args.only)]
    labels = snapshot.names.person_labels
    print(
        f"{args.catalogue}, {args.part}: {len(targets)} misspelled surnames, "
        f"{len(words)} misspelled ordinary words, {len(common)} misspelled words that are "
        "also a word of a name"
    )
    print(f"{'lookup':50}{'surnames found':>16}{'words taken':>17}{'names too':>15}{'CPU ms':>8}")
    for label, lookup in rows:
        started, calls = time.thread_time(), len(targets) + len(words) + len(common)
        found = {s: lookup(misspelled(s)) for s in targets}
        wrong = {w: m.label for w in words if (m := lookup(misspelled(w))) and m.kind == "person"}
        both = {w: m.label for w in common if (m := lookup(misspelled(w))) and m.kind == "person"}
        cpu_ms = (time.thread_time() - started) / max(calls, 1) * 1000
        right = [s for s, m in found.items() if m and m.label == labels[targets[s]]]
        print(
            f"{label:50}{_share(len(right), len(targets))}{_share(len(wrong), len(words))}"
            f"{_share(len(both), len(common))}{cpu_ms:8.2f}"
        )
        if label == "shipped":
            missed = [(s, misspelled(s), m and m.label) for s, m in found.items() if s not in right]
            print(f"  missed, e.g.: {missed[:12]}")
            print(f"  taken for a person: {[(w, misspelled(w), p) for w, p in wrong.items()][:8]}")
            print(f"  names too: {[(w, misspelled(w), p) for w, p in both.items()][:12]}")
    named = sum(1 for s in targets if snapshot.person_by_surname(tokenize(s)))
    taken = [(w, labels[n]) for w in common if (n := snapshot.person_by_surname([w]))]
    print(
        f"spelled right: {named} of {len(targets)} surnames name their person; of "
        f"{len(common)} words of eight films' text or more that are also a word of a name, "
        f"{len(taken)} name someone: {taken}"
    )


if __name__ == "__main__":
    main()
