//! Deploys to a real one-node Swarm (a docker-in-docker node with a
//! registry inside it), checked the way a user would see them: the deploy
//! report, Swarm's own state, and what the tasks run. One test function, so
//! the node is made once; the scenarios run in sequence on it and build on
//! each other, as deploys of one stack do.

mod deploys;
mod lock;
mod node;
mod stack;

use node::Node;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deploys_on_a_real_swarm_tell_the_truth() {
    let node = Node::start().await;
    let images = node.probe_images().await;
    let stack = stack::Stack::new(&node, images);

    deploys::create_converges_and_verifies(&stack).await;
    deploys::an_unchanged_redeploy_rolls_nothing(&stack).await;
    deploys::a_new_digest_rolls_out(&stack).await;
    deploys::a_failing_health_check_is_rolled_back_and_failed(&stack).await;
    deploys::a_stale_version_is_refused(&stack).await;
    deploys::a_missing_image_fails_early(&stack).await;
    deploys::a_changed_secret_moves_and_the_old_one_goes(&stack).await;
    deploys::force_restarts_the_same_version(&stack).await;
    lock::one_deploy_at_a_time(&node).await;
}
