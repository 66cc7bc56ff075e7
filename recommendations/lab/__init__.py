"""The lab: training and evaluation of every model kind, never imported by a request.

It reads the catalogue, the viewers' feedback and labelled queries, trains versions of the
models serving loads (the cross-encoder reranker, the recommender), registers them in
recommendations.trained_models, and measures search and the recommenders. It uses serving's
code (search.pipeline.retrieve, the scoring functions), never the reverse: an import-linter
contract (.importlinter) keeps the request path from importing this package.

    metrics               ranking metrics (nDCG, MRR, recall), one implementation each
    queries               labelled known-item queries: the type and the loader
    split                 the held-out split of labelled queries
    progress              the Progress protocol long jobs report through
    search_evaluation     `manage.py evaluate`: search per stage on labelled queries
    evaluation_records    evaluations kept for the admin dashboard, and their jobs
    reranker*             mining, training and evaluating the cross-encoder
    recommender*          training and evaluating the recommenders
"""
