"""Exploratory data analysis of the warehouse: charts computed by a job, cached per warehouse snapshot."""

from flask import Blueprint

bp = Blueprint("eda", __name__)

from app.eda import routes  # noqa: E402,F401
