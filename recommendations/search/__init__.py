"""The search pipeline, one module per stage:

query (understanding) -> catalogue (in-memory snapshot: filters, titles, people) ->
lexical (BM25) + dense (vectors) candidates -> fusion (weighted RRF) -> rerank -> pipeline.
recommendations.selectors turns the pipeline's rankings into films for views and the API.
"""
