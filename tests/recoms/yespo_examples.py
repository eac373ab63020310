"""Payloads printed in Yespo's public documentation, verbatim, for the tests that check them."""

from __future__ import annotations

from typing import Any

# The ProductPage example of "Transferring Website Behavior Data via REST API"
# (docs.yespo.io/docs/how-transfer-website-behavior-data-through-rest-api), as printed there.
PRODUCT_PAGE: dict[str, Any] = {
    "GeneralInfo": {
        "eventName": "ProductPage",
        "siteId": "8A412DC",
        "datetime": 1579622183208,
        "externalCustomerId": "1234509876",
        "user_phone": "1-541-754-3010",
        "user_email": "user@mail.com",
        "user_name": "Gregori Boczynski",
        "user_es_contact_id": "255830499",
        "cookies": {"sc": "CDA68358-94FB-4D83-9655-3FEB3C4114A3"},
    },
    "ProductPage": {
        "Product": {
            "productKey": "72354",
            "price": "754 USD",
            "isInStock": "1",
            "tag_something": ["abc", "bca"],
        },
        "Tags": {"some_tags": ["some_tag1", "some_tag2"]},
    },
}
