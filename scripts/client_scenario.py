"""A short scenario through a Python client that openapi-python-client generated, with its
defaults, from campaignd's served OpenAPI document (scripts/client-test runs it):

    python scripts/client_scenario.py PACKAGE BASE_URL API_KEY

Every call goes through the generated functions and models, so a document the generator reads
wrongly (a model that does not parse an answer, a missing operation) fails here.
"""

import importlib
import sys


def main(package: str, base_url: str, key: str) -> None:
    client_module = importlib.import_module(package)
    api = f"{package}.api"
    models = importlib.import_module(f"{package}.models")

    def op(name: str):
        return importlib.import_module(f"{api}.{name}")

    client = client_module.AuthenticatedClient(base_url=base_url, token=key)

    # A configuration and a campaign on it.
    answer = op("configurations.create_configuration").sync_detailed(
        client=client,
        body=models.ConfigurationCreate.from_dict(
            {
                "name": "Client scenario",
                "default_timezone": "Europe/London",
                "default_windows": [{"days": ["mon", "tue"], "start": "09:00", "end": "17:00"}],
                "default_country_code": "GB",
                "max_attempts": 4,
            }
        ),
    )
    expect(answer.status_code == 201, answer)
    configuration = answer.parsed
    expect(isinstance(configuration, models.Configuration), answer)
    expect(configuration.default_timezone == "Europe/London", configuration)
    expect(configuration.max_attempts == 4, configuration)

    answer = op("campaigns.create_campaign").sync_detailed(
        client=client,
        body=models.CampaignCreate.from_dict(
            {"name": "Client scenario", "configuration_id": str(configuration.id)}
        ),
    )
    expect(answer.status_code == 201, answer)
    campaign = answer.parsed
    expect(isinstance(campaign, models.Campaign), answer)
    expect(campaign.status == models.CampaignStatus.ACTIVE, campaign)

    # Two contacts, numbers in national format normalised with the configuration's region.
    answer = op("contacts.upsert_contacts").sync_detailed(
        str(campaign.id),
        client=client,
        body=models.ContactUpsert.from_dict(
            {
                "contacts": [
                    {"external_id": "crm-1", "phone_numbers": ["020 7946 0018"]},
                    {
                        "external_id": "crm-2",
                        "phone_numbers": ["07400 123456"],
                        "timezone": "Europe/Dublin",
                        "data": {"tier": "gold"},
                    },
                ]
            }
        ),
    )
    expect(answer.status_code == 200, answer)
    upserted = answer.parsed
    expect(isinstance(upserted, models.UpsertResult), answer)
    expect(len(upserted.contact_ids) == 2, upserted)

    answer = op("campaigns.get_campaign_stats").sync_detailed(str(campaign.id), client=client)
    expect(answer.status_code == 200, answer)
    stats = answer.parsed
    expect(isinstance(stats, models.Stats), answer)
    expect(stats.contacts.total == 2 and stats.contacts.pending == 2, stats)

    answer = op("contacts.list_contacts").sync_detailed(str(campaign.id), client=client, limit=10)
    expect(answer.status_code == 200, answer)
    listed = answer.parsed
    expect(isinstance(listed, models.ContactList), answer)
    expect(listed.total == 2, listed)
    expect([c.external_id for c in listed.contacts] == ["crm-1", "crm-2"], listed)

    answer = op("contacts.get_contact").sync_detailed(
        campaign.id, str(upserted.contact_ids[1]), client=client
    )
    expect(answer.status_code == 200, answer)
    contact = answer.parsed
    expect(isinstance(contact, models.Contact), answer)
    expect(contact.phone_numbers == ["+447400123456"], contact)
    expect(contact.timezone == "Europe/Dublin", contact)
    expect(contact.data["tier"] == "gold", contact)

    # A validation error comes back as the generated HTTPValidationError, with its loc.
    answer = op("campaigns.create_campaign").sync_detailed(
        client=client,
        body=models.CampaignCreate.from_dict({"name": "", "configuration_id": str(configuration.id)}),
    )
    expect(answer.status_code == 422, answer)
    problem = answer.parsed
    expect(isinstance(problem, models.HTTPValidationError), answer)
    expect([list(p.loc) for p in problem.detail] == [["body", "name"]], problem)

    print("client-test: the generated client ran the scenario: configuration, campaign, "
          "upsert, stats, list, get a contact, a 422")


def expect(condition: bool, what) -> None:
    if not condition:
        sys.exit(f"client-test: unexpected {what!r}")


if __name__ == "__main__":
    main(*sys.argv[1:4])
