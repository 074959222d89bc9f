terraform {
  required_version = ">= 1.6"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.80"
    }
    # Reads the EKS OIDC issuer's certificate for IAM roles for service accounts.
    tls = {
      source  = "hashicorp/tls"
      version = "~> 4.0"
    }
  }

  # State: for a team, keep it in S3 with locking (README.md, "State"); by default it is a local
  # file, enough for one person's first run.
}

provider "aws" {
  region = var.region

  default_tags {
    tags = merge({ Project = var.name, ManagedBy = "terraform" }, var.tags)
  }
}
