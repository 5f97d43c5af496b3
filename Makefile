# The two commands of the README's quick start. Both make sure a Vulkan driver is
# present first (installing Mesa's software driver, lavapipe, when there is none).
CARGO ?= cargo
# lavapipe warns about XDG_RUNTIME_DIR when it is unset; give it a harmless one.
export XDG_RUNTIME_DIR ?= /tmp

.PHONY: train test vulkan bench lint

vulkan:
	@bash scripts/ensure-vulkan.sh

# Main job: train PPO on CartPole-v1 and write a run folder under runs/.
train: vulkan
	$(CARGO) run --release -- train --env CartPole-v1

# Whole test suite: unit, integration (on the GPU or lavapipe), doc tests, and every
# bench target once in smoke mode.
test: vulkan
	$(CARGO) test --workspace --all-targets
	$(CARGO) test --workspace --doc

bench: vulkan
	$(CARGO) bench

lint:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
