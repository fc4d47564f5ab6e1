"""Prints an extra of pyproject.toml ("test" unless named: `test-requirements.py bench`), so
the Makefile installs it into the venv, which builds the package without build isolation."""
import pathlib
import sys
import tomllib

extra = sys.argv[1] if len(sys.argv) > 1 else "test"
project = tomllib.loads(pathlib.Path(__file__).resolve().parent.parent.joinpath("pyproject.toml").read_text())
print("\n".join(project["project"]["optional-dependencies"][extra]))
