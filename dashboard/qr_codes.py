"""The QR code an authenticator app scans, as an image inside the page itself.

An SVG made on the server and put in a data: URL, which the Content-Security-Policy allows for
images: no script draws it and no other server sees the secret.
"""

import base64
import io

from django_otp.qr import write_qrcode_image


def qr_code_data_url(text):
    svg = io.BytesIO()
    write_qrcode_image(text, svg)
    return "data:image/svg+xml;base64," + base64.b64encode(svg.getvalue()).decode("ascii")
