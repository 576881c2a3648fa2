# shellcheck shell=bash disable=SC2154
# Sourced by the scripts in this directory (and mirrored by the Makefile): every tool keeps its
# state inside the checkout, under .cache/, never in the user's home directory.
#
#   ANSIBLE_HOME    ansible-core's ~/.ansible (local temp files, galaxy cache) and the directory
#                   where ansible-lint and molecule (ansible-compat) install the collection they
#                   check; a copy there would otherwise shadow other checkouts for ansible-doc.
#   XDG_CACHE_HOME  ansible-lint's and pip's caches (~/.cache).
#
# Expects $top to be the top of the checkout.
export ANSIBLE_HOME="$top/.cache/ansible"
export XDG_CACHE_HOME="$top/.cache/xdg"
# ansible-test keeps its bootstrap cache under ~/.ansible/test, whatever the variables above say;
# scripts/sanity.sh runs it with HOME set to this directory.
# shellcheck disable=SC2034
tool_home="$top/.cache/home"
