DROP TABLE ally_credentials;
