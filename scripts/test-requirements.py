"""Prints the test extras of pyproject.toml, so the Makefile installs them into the venv
before building the package without build isolation."""
import pathlib
import tomllib

project = tomllib.loads(pathlib.Path(__file__).resolve().parent.parent.joinpath("pyproject.toml").read_text())
print("\n".join(project["project"]["optional-dependencies"]["test"]))
