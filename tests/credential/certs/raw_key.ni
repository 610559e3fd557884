ni:///sha-256;AuJjwQHC-Bdh3FoIcK-Zczktmu5dld-fiEcI9tQluU4
ni:///sha-256-128;AuJjwQHC-Bdh3FoIcK-Zcw
ni:///sha-256-120;AuJjwQHC-Bdh3FoIcK-Z
