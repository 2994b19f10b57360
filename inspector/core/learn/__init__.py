"""Learning the curator's judgment: signals that need no labels (``signals``), a quality model
trained on keep/drop labels with active-learning queues (``model``), and the project job that
ties them to a dataset and its store (``project_learn``). Qt-free; scikit-learn loads inside
the functions that need it."""
