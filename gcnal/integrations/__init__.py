"""Connections between gcnal and the tools annotators work in.

- :mod:`gcnal.integrations.label_studio`: a selection round on a Label Studio
  project, its picks shown in Label Studio as the next tasks to label
  (``pip install 'gcnal[labelstudio]'``).

Each integration imports its tool's client only when called, so that
``import gcnal`` never needs it.
"""
