"""Prints pyproject.toml's build requirements, so the Makefile installs them into the venv
before building the package without build isolation (make python, make wheel)."""
import pathlib
import tomllib

project = tomllib.loads(pathlib.Path(__file__).resolve().parent.parent.joinpath("pyproject.toml").read_text())
print("\n".join(project["build-system"]["requires"]))
