"""The OpenAPI 3.1 document of the API, its schemas generated from the pydantic models."""

from __future__ import annotations

import functools
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from recoms.api import schemas
from recoms.api.access import PUBLIC_PATHS, ROUTES, Access, access_of
from recoms.api.queries import IDENTIFIER_NAMES, INPUTS, MISSING_IDENTIFIER, Inputs, Parameters

Json = dict[str, Any]

MODELS: tuple[type[BaseModel], ...] = (
    schemas.ClickKeyOut,
    schemas.ContactOut,
    schemas.DataSourceCreate,
    schemas.DataSourceOut,
    schemas.DataSourcePatch,
    schemas.DataSourceReplace,
    schemas.ErrorOut,
    schemas.EventsAccepted,
    schemas.FeedImportRequest,
    schemas.FeedJobOut,
    schemas.Health,
    schemas.ImportReportOut,
    schemas.ListShownIn,
    schemas.ListsFiguresOut,
    schemas.ProductOut,
    schemas.ContactsOut,
    schemas.ProfileOut,
    schemas.StatsOut,
    schemas.TelegramForgetOut,
    schemas.TelegramLinkOut,
    schemas.TelegramLinkRequest,
)
"""The models the document's schemas are generated from (and those they refer to)."""


def ref(name: str) -> Json:
    return {"$ref": f"#/components/schemas/{name}"}


def json_content(schema: Json) -> Json:
    return {"application/json": {"schema": schema}}


def ok(description: str, schema: Json) -> Json:
    return {"description": description, "content": json_content(schema)}


def body(name: str) -> Json:
    return {"required": True, "content": json_content(ref(name))}


def array_of(name: str) -> Json:
    return {"type": "array", "items": ref(name)}


def error(description: str) -> Json:
    return {"description": description, "content": json_content(ref("ErrorOut"))}


def errors(*statuses: int) -> Json:
    texts = {
        400: "Bad parameters or body; the message says which and why.",
        404: "The thing named does not exist.",
        409: "The request clashes with what is stored; the message says how.",
        413: "The body is larger than the server accepts.",
        503: "The database does not answer; try again shortly.",
    }
    return {str(status): error(texts[status]) for status in statuses}


SECURITY: dict[Access, list[Json]] = {
    Access.ADMIN: [{"adminKey": []}],
    Access.PUBLIC: [{"adminKey": []}, {"publicKey": []}],
    Access.OPEN: [],
}
REFUSALS: Json = {
    "401": error("Missing or wrong API key (when the server has one)."),
    "403": error(
        "The public key on a route that needs the admin key, identifiers other than webId "
        "with the public key, or a web page of an origin not in RECOMS_CORS_ORIGINS."
    ),
}


def preflight(path: str, item: Json) -> Json:
    """The OPTIONS operation of a public route, named after the operation it opens."""
    methods = sorted(
        m for (m, p), access in ROUTES.items() if p == path and access is Access.PUBLIC
    )
    opened = item[methods[0].lower()]["operationId"]
    in_path = [p for p in item[methods[0].lower()].get("parameters", []) if p["in"] == "path"]
    return {
        "operationId": f"preflight{opened[0].upper()}{opened[1:]}",
        "tags": ["system"],
        "summary": f"CORS preflight of a browser for {', '.join(methods)} {path}",
        "description": "Answered for the origins in RECOMS_CORS_ORIGINS only.",
        "parameters": [
            *in_path,
            {
                "name": "Origin",
                "in": "header",
                "required": False,
                "schema": {"type": "string"},
            },
            {
                "name": "Access-Control-Request-Method",
                "in": "header",
                "required": False,
                "schema": {"type": "string"},
            },
        ],
        "responses": {
            "204": {"description": "The origin may call the route with the methods named."},
            "403": error("The origin or the method is not allowed."),
        },
    }


UNREAD: Json = {
    "414": {"description": "The request line is longer than the server reads (64 KiB)."},
    "431": {"description": "A header line is longer than the server reads (8 KiB)."},
}


def with_statuses(paths: Json) -> Json:
    """The refusals every operation can answer besides its own: 400 for what it reads, 404
    for what its path names, 413 for a body too large, 503 while the database does not
    answer, and 414 and 431 for a request the HTTP parser does not read."""
    for path, item in paths.items():
        for method, operation in item.items():
            open_route = access_of((method.upper(), path), ROUTES) is Access.OPEN
            statuses = [] if open_route else [503]
            if operation.get("parameters") or "requestBody" in operation:
                statuses.append(400)
            if "{" in path:
                statuses.append(404)
            if "requestBody" in operation:
                statuses.append(413)
            own = operation["responses"]
            operation["responses"] = {**errors(*statuses), **own, **UNREAD}
    return paths


def with_access(paths: Json) -> Json:
    """Each operation's ``security`` (and its 401 and 403) as ``recoms.api.access`` decides;
    the public routes' CORS preflights are added."""
    for path in PUBLIC_PATHS:
        paths[path]["options"] = preflight(path, paths[path])
    for path, item in paths.items():
        for method, operation in item.items():
            access = access_of((method.upper(), path), ROUTES)
            operation["security"] = SECURITY[access]
            if access is not Access.OPEN:
                operation["responses"] = {**operation["responses"], **REFUSALS}
    return paths


PRODUCT_LIST = ok("Products, best first.", array_of("ProductOut"))


def parameters(model: type[Parameters], location: str) -> list[Json]:
    """The OpenAPI parameters of ``model``'s fields, in ``location`` (path or query).

    A query parameter that may be absent has no null in the document: absent is how a query
    string says nothing."""
    schema = model.model_json_schema(mode="validation")
    required = set(schema.get("required", ()))
    listed = []
    for name, field in schema["properties"].items():
        field.pop("title", None)
        description = field.pop("description", None)
        if field.get("default", ...) is None:
            del field["default"]
        values = [branch for branch in field.pop("anyOf", [field]) if branch.get("type") != "null"]
        parameter: Json = {
            "name": name,
            "in": location,
            "required": location == "path" or name in required,
            "schema": {**field, **values[0]} if len(values) == 1 else {**field, "anyOf": values},
        }
        if description:
            parameter["description"] = description
        if parameter["schema"].get("type") == "array":
            parameter |= {"style": "form", "explode": True}
        elif location == "query" and not parameter["required"]:
            parameter["schema"] = as_absent_when_empty(parameter["schema"])
        listed.append(parameter)
    return listed


def as_absent_when_empty(schema: Json) -> Json:
    """An optional query parameter given empty (``limit=``) counts as absent, as a form left
    blank sends it: the document says so for the types that have no empty value."""
    if schema.get("type") not in ("integer", "number", "boolean"):
        return schema
    default = {"default": schema["default"]} if "default" in schema else {}
    rest = {key: value for key, value in schema.items() if key != "default"}
    return {"anyOf": [rest, {"type": "string", "maxLength": 0}], **default}


def with_parameters(paths: Json) -> Json:
    """Each operation's parameters, from the models its handler validates with (``INPUTS``)."""
    for path, item in paths.items():
        for method, operation in item.items():
            inputs = INPUTS.get((method.upper(), path), Inputs())
            listed = [
                *(parameters(inputs.path, "path") if inputs.path else []),
                *(parameters(inputs.query, "query") if inputs.query else []),
            ]
            if listed:
                operation["parameters"] = listed
    return paths


EVENTS_BODY: Json = {
    "required": True,
    "content": json_content(
        {
            "oneOf": [
                ref("TrackerEvent"),
                {"type": "array", "items": ref("TrackerEvent"), "minItems": 1, "maxItems": 1000},
            ]
        }
    ),
}


def paths() -> Json:
    return {
        "/api/v2/contacts/recoms/{dataSourceId}": {
            "get": {
                "operationId": "getRecoms",
                "tags": ["recommendations"],
                "summary": "A data source's recommendations for a contact (Yespo-compatible)",
                "description": (
                    "At least one identifier is required (400: "
                    f'"{MISSING_IDENTIFIER}"). An unknown contact is not an error: '
                    "lists that need a contact fall back to bestsellers. Product-based "
                    "algorithms (also_bought, you_may_also_like, alternatives) require "
                    "`products`. The number of items is the data source's `limit`."
                ),
                "responses": {"200": PRODUCT_LIST, **errors(400, 404)},
            }
        },
        "/api/v1/events": {
            "post": {
                "operationId": "postEvents",
                "tags": ["events"],
                "summary": "Record tracker events (Yespo's REST tracker shape)",
                "description": (
                    "One event object, or an array of at most 1000. In an array, a bad event "
                    "is reported by its index and skipped; 400 only when none was recorded. "
                    "With the public key an event names the visitor by webId (the sc cookie) "
                    "only: one carrying an email, phone, externalCustomerId or contact id, or "
                    "a CustomerData event, is refused with 403 (in an array, by its index), "
                    "since it would link the cookie to that customer. The shop's backend "
                    "sends those with the admin key."
                ),
                "requestBody": EVENTS_BODY,
                "responses": {
                    "202": ok("Recorded.", ref("EventsAccepted")),
                    **errors(400, 413),
                },
            }
        },
        "/api/v2": {
            "post": {
                "operationId": "postTrackerEvents",
                "tags": ["events"],
                "summary": "Record tracker events at Yespo's tracker path",
                "description": (
                    "As `POST /api/v1/events`, answering 200 as Yespo's tracker "
                    "(tracker.yespo.io/api/v2) does: tracker calls move here with the host."
                ),
                "requestBody": EVENTS_BODY,
                "responses": {"200": ok("Recorded.", ref("EventsAccepted")), **errors(400, 413)},
            }
        },
        "/api/v1/feed/import": {
            "post": {
                "operationId": "importFeed",
                "tags": ["catalogue"],
                "summary": "Import a Google Merchant feed from a URL or from the body",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {"schema": ref("FeedImportRequest")},
                        "application/xml": {"schema": {"type": "string"}},
                        "text/xml": {"schema": {"type": "string"}},
                    },
                },
                "responses": {
                    "202": ok(
                        "Started in the background; `Location` is the job's URL.",
                        ref("FeedJobOut"),
                    ),
                    **errors(400, 409, 413),
                },
            }
        },
        "/api/v1/feed/import/{jobId}": {
            "get": {
                "operationId": "getFeedImport",
                "tags": ["catalogue"],
                "summary": "How a feed import is getting on: progress, then its report or error",
                "responses": {
                    "200": ok("The job.", ref("FeedJobOut")),
                    **errors(404),
                },
            }
        },
        "/api/v1/datasources": {
            "get": {
                "operationId": "listDataSources",
                "tags": ["data sources"],
                "summary": "Every data source",
                "responses": {
                    "200": ok(
                        "Data sources by id.", {"type": "array", "items": ref("DataSourceOut")}
                    ),
                    **errors(),
                },
            },
            "post": {
                "operationId": "createDataSource",
                "tags": ["data sources"],
                "summary": "Create a data source",
                "requestBody": body("DataSourceCreate"),
                "responses": {"201": ok("Created.", ref("DataSourceOut")), **errors(400)},
            },
        },
        "/api/v1/datasources/{dataSourceId}": {
            "get": {
                "operationId": "getDataSource",
                "tags": ["data sources"],
                "summary": "One data source",
                "responses": {"200": ok("The data source.", ref("DataSourceOut")), **errors(404)},
            },
            "put": {
                "operationId": "replaceDataSource",
                "tags": ["data sources"],
                "summary": "Replace a data source's name and params (params not given: defaults)",
                "requestBody": body("DataSourceReplace"),
                "responses": {
                    "200": ok("Updated.", ref("DataSourceOut")),
                    **errors(400, 404, 409),
                },
            },
            "patch": {
                "operationId": "updateDataSource",
                "tags": ["data sources"],
                "summary": "Change some of a data source's name and params",
                "requestBody": body("DataSourcePatch"),
                "responses": {
                    "200": ok("Updated.", ref("DataSourceOut")),
                    **errors(400, 404, 409),
                },
            },
        },
        "/api/v1/contacts": {
            "get": {
                "operationId": "findContactsByName",
                "tags": ["contacts"],
                "summary": "Contacts whose name contains the text given (any case), by name",
                "responses": {"200": ok("The contacts.", ref("ContactsOut")), **errors(400)},
            }
        },
        "/api/v1/contacts/profile": {
            "get": {
                "operationId": "getContactProfile",
                "tags": ["contacts"],
                "summary": "A contact's identifiers, last orders, cart and recently viewed items",
                "responses": {"200": ok("The profile.", ref("ProfileOut")), **errors(400, 404)},
            }
        },
        "/api/v1/contacts/telegram": {
            "post": {
                "operationId": "linkTelegram",
                "tags": ["contacts"],
                "summary": "Link a Telegram user to a contact",
                "description": (
                    "The contact is named by any of "
                    + ", ".join(IDENTIFIER_NAMES)
                    + "; an unknown phone or externalCustomerId creates it. A Telegram user "
                    "is linked to one contact at most: their earlier link moves. A contact "
                    "linked to another Telegram user is never moved by a link (409), only by "
                    "`ownContactShare` with the phone on file: Telegram's own-contact share."
                ),
                "requestBody": body("TelegramLinkRequest"),
                "responses": {
                    "200": ok("The linked contact.", ref("TelegramLinkOut")),
                    **errors(400, 404, 409),
                },
            }
        },
        "/api/v1/contacts/telegram/{telegramUserId}/forget": {
            "post": {
                "operationId": "forgetTelegram",
                "tags": ["contacts"],
                "summary": "Unlink a Telegram user and remove what their links added",
                "description": (
                    "A contact a link created is deleted, unless the shop's own data (orders, "
                    "events, cart, web ids) has reached it since; from other contacts the "
                    "fields links added (phone, name) are removed. The shop's own data stays."
                ),
                "responses": {
                    "200": ok("What was removed.", ref("TelegramForgetOut")),
                    **errors(400, 404),
                },
            }
        },
        "/api/v1/contacts/telegram/{telegramUserId}": {
            "delete": {
                "operationId": "unlinkTelegram",
                "tags": ["contacts"],
                "summary": "Unlink a Telegram user (nothing happens when it is not linked)",
                "responses": {"204": {"description": "Unlinked."}, **errors(400)},
            }
        },
        "/api/v1/products": {
            "get": {
                "operationId": "findProducts",
                "tags": ["catalogue"],
                "summary": "Search active products, or look several up by id",
                "description": "Give either `search` or `ids`.",
                "responses": {"200": PRODUCT_LIST, **errors(400)},
            }
        },
        "/api/v1/click": {
            "get": {
                "operationId": "followShopLink",
                "tags": ["click-through"],
                "summary": "A chat card's shop link: counts the click, forwards to the shop",
                "description": (
                    "The bot makes these links, signed with the engine's click key "
                    "(RECOMS_CLICK_SECRET, else a random key the database keeps): the "
                    "signature covers the list, contact, product and UTM tags, so a link "
                    "cannot be made to count for anyone else. Where it forwards is the "
                    "product's URL in the catalogue, never one from the request, with "
                    "utm_source, utm_medium and utm_campaign (the list) set. The click counts "
                    "for its list and as a ProductPage view of the contact."
                ),
                "responses": {
                    "302": {
                        "description": "Recorded; `Location` is the shop's product page.",
                        "headers": {
                            "Location": {"schema": {"type": "string", "format": "uri"}},
                        },
                    },
                    "403": error("The signature does not match the link."),
                    **errors(404),
                },
            }
        },
        "/api/v1/lists/shown": {
            "post": {
                "operationId": "recordListShown",
                "tags": ["click-through"],
                "summary": "Count a card of a list shown in the chat",
                "requestBody": body("ListShownIn"),
                "responses": {"204": {"description": "Counted."}},
            }
        },
        "/api/v1/lists/figures": {
            "get": {
                "operationId": "getListFigures",
                "tags": ["click-through"],
                "summary": "Cards shown and shop links followed per list (click-through)",
                "responses": {"200": ok("By list name.", ref("ListsFiguresOut"))},
            }
        },
        "/api/v1/clicks/key": {
            "get": {
                "operationId": "getClickKey",
                "tags": ["click-through"],
                "summary": "The key that signs shop links, for a bot that signs them itself",
                "responses": {"200": ok("The key.", ref("ClickKeyOut"))},
            }
        },
        "/api/v1/products/search": {
            "get": {
                "operationId": "searchProducts",
                "tags": ["catalogue"],
                "summary": "Search active products by text, typos forgiven, in stock or not",
                "description": (
                    "Ranked by text match over name, brand, category and id: whole words "
                    "first, then beginnings and parts of words, then words spelled alike "
                    "(`choclate` finds Chocolate); the product whose id is `q` comes first. "
                    "A `q` of one or two characters matches literally (id, name or brand "
                    "holding it, by name). Out-of-stock products are found too: `isInStock` "
                    "and `tags_availability` say where each stands. A contact named by any "
                    "identifier (all optional) sees matches from their personal list raised; "
                    "nothing that does not match is added for them, and an unknown contact "
                    "is not an error. Ties by availability, then name and id, so pages "
                    "(`offset`) follow each other."
                ),
                "responses": {"200": PRODUCT_LIST, **errors(400)},
            }
        },
        "/api/v1/products/{productId}": {
            "get": {
                "operationId": "getProduct",
                "tags": ["catalogue"],
                "summary": "One product, active or not",
                "responses": {"200": ok("The product.", ref("ProductOut")), **errors(400, 404)},
            }
        },
        "/api/v1/stats": {
            "get": {
                "operationId": "getStats",
                "tags": ["system"],
                "summary": "Catalogue, contacts, events and model figures",
                "responses": {"200": ok("The figures.", ref("StatsOut")), **errors()},
            }
        },
        "/healthz": {
            "get": {
                "operationId": "health",
                "tags": ["system"],
                "summary": "Liveness with a trivial database query; open without the key",
                "responses": {
                    "200": ok("Serving.", ref("Health")),
                    "503": ok("The database does not answer.", ref("Health")),
                },
            }
        },
        "/readyz": {
            "get": {
                "operationId": "ready",
                "tags": ["system"],
                "summary": "Readiness for a load balancer; open without the key",
                "description": "200 `ready` when the database answers at the newest "
                "migration, the catalogue and model are in memory and (in the bot's web app) "
                "Redis answers; 503 `not ready` while starting, stopping or when any of them "
                "fails. The reasons go to the server's log only.",
                "responses": {
                    "200": ok("Send traffic.", ref("Health")),
                    "503": ok("Send nothing now.", ref("Health")),
                },
            }
        },
        "/openapi.json": {
            "get": {
                "operationId": "openapi",
                "tags": ["system"],
                "summary": "This document; open without the key",
                "responses": {"200": ok("OpenAPI 3.1.", {"type": "object"})},
            }
        },
        "/docs": {
            "get": {
                "operationId": "docs",
                "tags": ["system"],
                "summary": "Swagger UI over this document; open without the key",
                "responses": {
                    "200": {
                        "description": "HTML.",
                        "content": {"text/html": {"schema": {"type": "string"}}},
                    }
                },
            }
        },
        "/docs/{asset}": {
            "get": {
                "operationId": "docsAsset",
                "tags": ["system"],
                "summary": "A file of the Swagger UI page (script, stylesheet, icon)",
                "responses": {"200": {"description": "The file."}, **errors(400)},
            }
        },
        "/metrics": {
            "get": {
                "operationId": "metrics",
                "tags": ["system"],
                "summary": "Prometheus metrics: the API, the engine and (in its web app) the bot",
                "responses": {
                    "200": {
                        "description": "Prometheus text format 0.0.4.",
                        "content": {"text/plain": {"schema": {"type": "string"}}},
                    },
                    **errors(),
                },
            }
        },
    }


@functools.cache
def _schemas() -> Json:
    _, top = models_json_schema(
        [(model, "validation") for model in MODELS],
        ref_template="#/components/schemas/{model}",
    )
    schemas: Json = dict(top.get("$defs", {}))
    schemas["TrackerEvent"] = {
        "type": "object",
        "description": (
            'Yespo\'s tracker shape: {"GeneralInfo": {"eventName": "ProductPage", "siteId": ..., '
            '"datetime": <ms>, "externalCustomerId"|"user_email"|"user_phone"|'
            '"user_es_contact_id": ..., "cookies": {"sc": <webId>}}, '
            '"ProductPage": {"Product": {"productKey": ..., "price": "754 USD"}}}. '
            "Events: ProductPage, CategoryPage, StatusCart, PurchasedItems, CustomerData, "
            "AddToWishlist, RemoveFromWishlist (this engine's extension), SearchRequest, and "
            "MainPage, StatusCartPage, NotFound without data; "
            "eS.js flat shapes too."
        ),
        "required": ["GeneralInfo"],
        "properties": {"GeneralInfo": {"type": "object", "required": ["eventName"]}},
        "additionalProperties": True,
    }
    return schemas


def build_document() -> Json:
    """The whole OpenAPI 3.1 document (a fresh copy each call)."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "recoms: product recommendations API",
            "version": "1.0.0",
            "description": (
                "Yespo-compatible recommendations plus the engine's own events, feed import, "
                "data sources, contacts and products. Errors are JSON "
                '`{"error": code, "message": text}`. Query parameters this document does not list '
                "are ignored, as Yespo's API ignores them; an empty value counts as absent."
            ),
        },
        "paths": with_access(with_statuses(with_parameters(paths()))),
        "components": {
            "securitySchemes": {
                "adminKey": {
                    "type": "http",
                    "scheme": "basic",
                    "description": (
                        "Any user name, the admin key (RECOMS_API_KEY) as the password. A "
                        "server without one listens on loopback only and asks for no key."
                    ),
                },
                "publicKey": {
                    "type": "http",
                    "scheme": "basic",
                    "description": (
                        "Any user name, the public key (RECOMS_PUBLIC_KEY) as the password: "
                        "recommendation lists by webId and tracker events, from the shop's "
                        "web pages (origins in RECOMS_CORS_ORIGINS)."
                    ),
                },
            },
            "schemas": {name: dict(schema) for name, schema in _schemas().items()},
        },
    }
