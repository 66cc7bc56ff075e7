"""The search pipeline, one module per stage:

query (understanding) -> catalogue (in-memory snapshot: filters, titles, people) ->
lexical (BM25) + dense (vectors) candidates -> fusion (weighted z-scores) -> rerank
(recommendations.rerank.serving) -> exact matches first. pipeline.retrieve runs the first
stages, pipeline.run_pipeline a whole search; recommendations.selectors turns the pipeline's
rankings into films for views and the API.
"""
