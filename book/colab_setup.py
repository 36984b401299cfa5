# Colab only: install var (and the sample data a benchmark page reads). Elsewhere this cell does nothing, and
# the book hides it. VAR_INSTALL overrides what is installed (CI installs the release's wheel this way).
import os
import subprocess
import sys

REPOSITORY = ""  # book/build.py writes the public repository here ($VAR_REPOSITORY_URL)
EXTRAS = "plot,examples"  # book/build.py: the extras this page needs
DATA_SCRIPTS = []  # book/build.py: the data scripts this page needs

if os.environ.get("VAR_INSTALL"):
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", os.environ["VAR_INSTALL"]], check=True)
elif "google.colab" in sys.modules and not REPOSITORY:
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", f"var-saliency[{EXTRAS}]"], check=True)
elif "google.colab" in sys.modules:
    checkout = "/content/var-saliency"  # the repository: the pages read its results/ and data_scripts/
    if not os.path.isdir(checkout):
        subprocess.run(["git", "clone", "-q", "--depth", "1", REPOSITORY, checkout], check=True)
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", f"{checkout}[{EXTRAS}]"], check=True)
    sys.path.insert(0, checkout)  # import var from the checkout, beside its committed results
    for script in DATA_SCRIPTS:
        subprocess.run([sys.executable, *script.split()], cwd=checkout, check=True)
    os.chdir(f"{checkout}/notebooks")  # the pages' relative paths (../results/book) as in the book
