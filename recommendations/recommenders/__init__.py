"""Personal recommendations: popularity, item-kNN, EASE (collaborative), content (film vectors)
and the hybrid that serves the home page. `algorithms` is pure numpy/scipy and shared by the
live recommender and the offline evaluation (`evaluate_recs`)."""
