"""'Why this?': an explanation of why a film fits a viewer's query, loaded lazily per result.

facts.py      the explainer's input (ExplainRequest: query, FilmFacts, evidence) and output
grounded.py   the offline explainer (no model download): nearest synopsis sentences, keywords,
              people, genres, period; quoted verbatim from the film's data
llm.py        the LangChain chain (prompt | chat model | parser) with the offline fallback
selectors.py  explanation_for(movie=, query=): cache, then the configured explainer
evidence.py   the hand-off of pipeline evidence from the search request to the panel request
"""
