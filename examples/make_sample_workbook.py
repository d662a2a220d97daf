"""Write examples/permohonan-contoh.xlsx, the example application workbook.

    .venv/bin/python examples/make_sample_workbook.py

The content comes from sikro_docs.samples (the demo uses the same list).
"""

from pathlib import Path

from sikro_docs.samples import write_sample_workbook

if __name__ == "__main__":
    print(write_sample_workbook(Path(__file__).with_name("permohonan-contoh.xlsx")))
