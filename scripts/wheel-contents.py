"""Checks what a built wheel holds (make wheel): the package with its compiled _core, its
stubs and py.typed, and nothing that auditwheel had to bundle: the module is meant to carry
OpenSSL, SQLite and Boost inside it (docs/getting-started.md), so a grafted
harvest_connect.libs/ directory means a library was linked dynamically by mistake."""
import sys
import zipfile

problems = []
for wheel in sys.argv[1:]:
    names = zipfile.ZipFile(wheel).namelist()
    grafted = [n for n in names if ".libs/" in n]
    if grafted:
        problems.append(f"{wheel}: auditwheel bundled shared libraries {grafted}: link them statically instead")
    for needed in ("harvest_connect/__init__.py", "harvest_connect/_core.pyi", "harvest_connect/py.typed"):
        if needed not in names:
            problems.append(f"{wheel}: {needed} is missing")
    if not any(n.startswith("harvest_connect/_core.") and n.endswith(".so") for n in names):
        problems.append(f"{wheel}: the compiled module harvest_connect/_core*.so is missing")
    if any(n.endswith((".hpp", ".a", ".cmake")) for n in names):
        problems.append(f"{wheel}: C++ development files are in the wheel (install.components should exclude them)")
if problems:
    sys.exit("\n".join(problems))
print(f"wheel-contents: {', '.join(sys.argv[1:])}: self-contained")
