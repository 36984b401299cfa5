"""Images in: value ranges, modes, EXIF orientation, transparency, damaged files."""


import numpy as np
import pytest
from PIL import Image

import var


def test_images_keep_their_values(tmp_path):
    grey16 = (np.arange(64 * 64).reshape(64, 64) * 16).astype(np.uint16)  # 0..65520
    Image.fromarray(grey16).save(tmp_path / "grey16.png")
    loaded = np.asarray(var.load_image(tmp_path / "grey16.png"))
    np.testing.assert_allclose(loaded[..., 0], np.round(grey16 / 65535 * 255), atol=1)
    assert loaded.std() > 50  # not all white
    rgb = np.random.default_rng(0).integers(0, 256, (8, 8, 3))
    for array in (rgb.astype(np.int64), rgb.astype(np.uint16) * 257, rgb / 255.0):
        np.testing.assert_array_equal(np.asarray(var.load_image(array)), rgb.astype(np.uint8))
    with pytest.raises(ValueError, match="array / 255"):
        var.load_image(rgb.astype(np.float64))  # 0..255 floats are not guessed
    with pytest.raises(ValueError, match="NaN"):
        var.load_image(np.full((8, 8, 3), np.nan))
    with pytest.raises(ValueError, match="0..255"):
        var.load_image(np.full((8, 8, 3), 300, dtype=np.int64))


def test_transparent_png_is_composited_on_white(tmp_path):
    rgba = np.zeros((8, 8, 4), dtype=np.uint8)
    rgba[..., 0] = 255  # red hidden under alpha 0 ...
    rgba[:4, :, 3] = 255  # ... except the top half
    Image.fromarray(rgba, "RGBA").save(tmp_path / "t.png")
    img = np.asarray(var.load_image(tmp_path / "t.png"))
    assert (img[:4] == [255, 0, 0]).all() and (img[4:] == 255).all()
    np.testing.assert_array_equal(np.asarray(var.load_image(rgba)), img)


def test_exif_orientation_is_applied(tmp_path):
    from PIL import Image

    pixels = np.zeros((20, 40, 3), dtype=np.uint8)
    pixels[:, :10] = 255  # a white band on the left
    image = Image.fromarray(pixels)
    exif = image.getexif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to display"
    image.save(tmp_path / "phone.jpg", exif=exif.tobytes(), quality=95)
    shown = np.asarray(var.load_image(tmp_path / "phone.jpg"))
    assert shown.shape == (40, 20, 3) and shown[:10].mean() > 200 and shown[-10:].mean() < 50  # band on top
    assert np.asarray(var.load_image(tmp_path / "phone.jpg", exif_orientation=False)).shape == (20, 40, 3)


@pytest.mark.parametrize("mode, value, expected", [
    ("I", 200, 200),  # a 32-bit integer image holding 0..255 (it came out black)
    ("I;16", 65535, 255), ("F", 0.5, 128), ("L", 77, 77), ("1", 1, 255), ("La", (90, 255), 90),
    ("CMYK", (0, 0, 0, 0), 255), ("HSV", (0, 0, 255), 255), ("P", 0, 0),
])
def test_every_pil_mode_keeps_its_values(mode, value, expected):
    from PIL import Image

    rgb = np.asarray(var.load_image(Image.new(mode, (4, 4), value)))
    assert rgb.shape == (4, 4, 3) and rgb.dtype == np.uint8 and (rgb == expected).all(), rgb[0, 0]


def test_out_of_range_integer_images_and_damaged_files_name_the_fix(tmp_path):
    from PIL import Image

    with pytest.raises(ValueError, match="0..255"):
        var.load_image(Image.fromarray(np.full((4, 4), 4000, dtype=np.int32)))
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8)).save(tmp_path / "a.jpg")
    data = (tmp_path / "a.jpg").read_bytes()
    (tmp_path / "cut.jpg").write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match=r"cut\.jpg is damaged"):
        var.load_image(tmp_path / "cut.jpg")


def test_load_image_errors():
    with pytest.raises(FileNotFoundError, match="no file"):
        var.load_image("/nonexistent.jpg")
    with pytest.raises(ValueError, match="skimage.data has no image"):
        var.load_image("skimage:dog")
