"""What the gallery's scripts share: showing a figure that a run drew into its folder."""

import matplotlib.pyplot as plt


def show(run, name: str) -> None:
    """Display ``figures/<name>.png`` of run directory ``run`` (a :class:`hippo.io.RunDir`) as a figure of the page."""
    plt.figure(figsize=(8, 4.5))
    plt.imshow(plt.imread(run.path / "figures" / f"{name}.png"))
    plt.axis("off")
