-- Rasa's tracker store in its own database (endpoints.production.yml); our data stays in `betaalhulp`.
CREATE DATABASE betaalhulp_tracker OWNER betaalhulp;
